pytest_plugins = ["hubspot_emulator.pytest_plugin"]
