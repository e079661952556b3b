from mysql2ddb.server.cli.main import run

if __name__ == "__main__":
    run()
