"""What describes the config to people and editors: JSON Schema per file and the generated
reference (docs/config.md). Above config/, destinations/ and plans/, whose models it reads."""
