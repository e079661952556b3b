"""A small application schema with UNIQUE keys, built in its own database (m2d_unique) by fixed DDL
text: users with a unique email and username, teams, a junction with a unique pair of foreign keys
and a surrogate id, a table without a primary key whose nullable UNIQUE column holds no NULL, and a
table with no key at all (one NULL and a repeated value in user_id)."""

from __future__ import annotations

from sqlglot import exp

from mysql2ddb.tools.core import sql
from mysql2ddb.tools.core.db import Dsn, sync_connection

DATABASE = "m2d_unique"

DDL = [
    "CREATE TABLE users (id INT AUTO_INCREMENT PRIMARY KEY, email VARCHAR(120) NOT NULL, "
    "username VARCHAR(40) NOT NULL, name VARCHAR(80), UNIQUE KEY uq_email (email), UNIQUE KEY uq_username (username))",
    "CREATE TABLE teams (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(40) NOT NULL)",
    "CREATE TABLE memberships (id INT AUTO_INCREMENT PRIMARY KEY, user_id INT NOT NULL, team_id INT NOT NULL, "
    "joined DATE, UNIQUE KEY uq_member (user_id, team_id), "
    "CONSTRAINT fk_m_user FOREIGN KEY (user_id) REFERENCES users (id), "
    "CONSTRAINT fk_m_team FOREIGN KEY (team_id) REFERENCES teams (id))",
    "CREATE TABLE countries (code CHAR(2) NULL, name VARCHAR(60) NOT NULL, UNIQUE KEY uq_code (code))",
    "CREATE TABLE audit_log (at DATETIME NOT NULL, user_id INT NULL, action VARCHAR(40) NOT NULL)",
]

ROWS = {
    "users": (["id", "email", "username", "name"],
              [(1, "ann@example.com", "ann", "Ann"), (2, "bob@example.com", "bob", "Bob"),
               (3, "cy@example.com", "cy", None)]),
    "teams": (["id", "name"], [(1, "red"), (2, "blue")]),
    "memberships": (["id", "user_id", "team_id", "joined"],
                    [(1, 1, 1, "2024-01-02"), (2, 1, 2, "2024-02-03"), (3, 2, 1, None)]),
    "countries": (["code", "name"], [("FR", "France"), ("JP", "Japan")]),
    "audit_log": (["at", "user_id", "action"],
                  [("2024-01-01 10:00:00", 1, "login"), ("2024-01-01 10:05:00", None, "signup"),
                   ("2024-01-02 09:00:00", 1, "logout")]),
}


def build(server: Dsn, database: str = DATABASE) -> Dsn:
    """(Re)create the database with its rows; returns its DSN."""
    dsn = Dsn(host=server.host, port=server.port, user=server.user, password=server.password, database=database)
    admin = Dsn(host=server.host, port=server.port, user=server.user, password=server.password, database="mysql")
    with sync_connection(admin) as conn, conn.cursor() as cur:
        cur.execute(sql.render(sql.drop_database(database)))
        cur.execute(sql.render(sql.create_database(database)))
    with sync_connection(dsn) as conn, conn.cursor() as cur:
        for statement in DDL:
            cur.execute(statement)
        for name, (columns, rows) in ROWS.items():
            target = exp.Schema(this=sql.table(name), expressions=[sql.ident(c) for c in columns])
            insert = exp.Insert(this=target, expression=exp.Values(
                expressions=[exp.Tuple(expressions=[sql.param() for _ in columns])]))
            cur.executemany(sql.driver_sql(insert), rows)
        conn.commit()
    return dsn
