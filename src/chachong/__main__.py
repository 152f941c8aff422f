from chachong.cli import entry

entry()
