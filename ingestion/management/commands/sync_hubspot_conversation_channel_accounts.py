from ..type_commands import source_command

Command = source_command("conversation_channel_accounts")
