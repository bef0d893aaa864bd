from ..type_commands import source_command

Command = source_command("marketing_event_participations")
