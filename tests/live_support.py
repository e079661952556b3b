"""The live-migration fixtures shared by the test and the benchmark: a shop schema (customers and
orders), a contract with a single-entity table and a multi-entity item collection whose orders
carry their customer's name (a denormalized join), and the application's write workload."""

from __future__ import annotations

import random
import threading
import time

CUSTOMERS, ORDERS = 60, 1500


def _attr(name: str, type_: str, table: str, column: str, **extra) -> dict:
    return {"name": name, "type": type_, "source_table": table, "source_column": column, **extra}


CONTRACT = {"tables": [
    {"table": "Customers", "type": "single-entity", "source_table": "customer", "pk": "customer_id",
     "satisfies": ["a customer by id"], "estimated_item_size_bytes": 60,
     "attributes": [_attr("customer_id", "N", "customer", "id"), _attr("name", "S", "customer", "name")]},
    {"table": "CustomerOrders", "type": "multi-entity", "source_table": "customer", "pk": "PK", "sk": "SK",
     "satisfies": ["a customer's orders"], "estimated_item_size_bytes": 120,
     "attributes": [], "entities": [
         {"entity_type": "CUSTOMER", "source_table": "customer", "pk_template": "CUSTOMER#{customer_id}",
          "sk_template": "PROFILE", "attributes": [_attr("customer_id", "N", "customer", "id"),
                                                   _attr("name", "S", "customer", "name")]},
         {"entity_type": "ORDER", "source_table": "orders", "pk_template": "CUSTOMER#{customer_id}",
          "sk_template": "ORDER#{order_id}", "attributes": [
              _attr("customer_id", "N", "orders", "customer_id"), _attr("order_id", "N", "orders", "id"),
              _attr("amount", "N", "orders", "amount"), _attr("status", "S", "orders", "status"),
              _attr("customer_name", "S", "orders", "customer_id", denormalized=True, join={
                  "type": "foreign-key", "target_table": "customer",
                  "join_condition": "customer.id = orders.customer_id", "select_column": "customer.name"})]}]},
]}


class Workload(threading.Thread):
    """The application: random writes until stopped; counts what it did."""

    # cumulative shares of: insert, update, delete, rename, move, multi-row transaction (the rest: rollback)
    STRESS = (0.25, 0.45, 0.55, 0.65, 0.75, 0.9)  # every kind often: the correctness test
    TYPICAL = (0.45, 0.85, 0.93, 0.94, 0.96, 0.99)  # an order system's day: renames are rare

    def __init__(self, server, seed: int, customers: int = CUSTOMERS, orders: int = ORDERS,
                 rate: float | None = None, mix: tuple[float, ...] = STRESS):
        super().__init__(daemon=True)
        self.server, self.rng, self.stop_now, self.done = server, random.Random(seed), threading.Event(), {}
        self.customers, self.next_order = customers, orders + 1
        self.pause = 1.0 / rate if rate else 0.004  # statements a second, roughly
        self.mix = mix

    def _count(self, what: str) -> None:
        self.done[what] = self.done.get(what, 0) + 1

    def step(self, cur) -> None:
        r, cid = self.rng.random(), self.rng.randint(1, self.customers)
        insert, update, delete, rename, move, transaction = self.mix
        if r < insert:
            cur.execute("INSERT INTO orders (id, customer_id, amount, status) VALUES (%s, %s, %s, 'new')",
                        (self.next_order, cid, self.rng.randint(1, 999)))
            self.next_order += 1
            self._count("insert")
        elif r < update:
            cur.execute("UPDATE orders SET status = 'paid', amount = amount + 1 WHERE id = %s",
                        (self.rng.randint(1, self.next_order),))
            self._count("update")
        elif r < delete:
            cur.execute("DELETE FROM orders WHERE id = %s", (self.rng.randint(1, self.next_order),))
            self._count("delete")
        elif r < rename:
            cur.execute("UPDATE customer SET name = %s WHERE id = %s", (f"renamed-{self.rng.randint(1, 10**6)}", cid))
            self._count("rename")
        elif r < move:
            cur.execute("UPDATE orders SET customer_id = %s WHERE id = %s", (cid, self.rng.randint(1, self.next_order)))
            self._count("move")
        elif r < transaction:
            cur.execute("BEGIN")
            for _ in range(3):
                cur.execute("INSERT INTO orders (id, customer_id, amount, status) VALUES (%s, %s, 5, 'batch')",
                            (self.next_order, cid))
                self.next_order += 1
            if self.mix is self.STRESS:  # a rename inside the transaction rewrites every order of that customer
                cur.execute("UPDATE customer SET name = CONCAT(name, '+') WHERE id = %s", (cid,))
            else:
                cur.execute("UPDATE orders SET status = 'grouped' WHERE id = %s", (self.next_order - 1,))
            cur.execute("COMMIT")
            self._count("transaction")
        else:
            cur.execute("BEGIN")
            cur.execute("DELETE FROM orders WHERE customer_id = %s", (cid,))
            cur.execute("UPDATE customer SET name = 'never' WHERE id = %s", (cid,))
            cur.execute("ROLLBACK")
            self._count("rollback")

    def run(self) -> None:
        conn = self.server.connect("shop")
        with conn.cursor() as cur:
            next_at = time.monotonic()
            while not self.stop_now.is_set():
                self.step(cur)
                next_at += self.pause
                time.sleep(max(0.0, next_at - time.monotonic()))
        conn.close()


def load_shop(server, customers: int = CUSTOMERS, orders: int = ORDERS) -> None:
    conn = server.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE DATABASE shop")
        cur.execute("CREATE TABLE shop.customer (id INT PRIMARY KEY, name VARCHAR(60) NOT NULL)")
        cur.execute("CREATE TABLE shop.orders (id INT PRIMARY KEY, customer_id INT NOT NULL, "
                    "amount DECIMAL(10,2) NOT NULL, status VARCHAR(10) NOT NULL)")
        cur.executemany("INSERT INTO shop.customer VALUES (%s, %s)", [(i, f"customer {i}") for i in range(1, customers + 1)])
        cur.executemany("INSERT INTO shop.orders VALUES (%s, %s, %s, 'new')",
                        [(i, 1 + i % customers, i % 500 + 0.5) for i in range(1, orders + 1)])
    conn.close()
