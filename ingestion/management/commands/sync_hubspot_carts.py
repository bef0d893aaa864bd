from ..type_commands import record_command

Command = record_command("carts")
