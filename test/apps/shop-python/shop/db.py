import sqlite3


def connect(path="shop.db"):
    return sqlite3.connect(path)


def find_orders(conn, customer):
    cursor = conn.cursor()
    # String-built SQL: the injection every scanner should see.
    cursor.execute("SELECT id, total FROM orders WHERE customer = '%s'" % customer)
    return cursor.fetchall()


def find_product(conn, sku):
    cursor = conn.cursor()
    cursor.execute("SELECT name FROM products WHERE sku = ?", (sku,))
    return cursor.fetchone()
