from chachong.cli import main

main(prog_name="chachong")
