from ..type_commands import source_command

Command = source_command("deal_splits")
