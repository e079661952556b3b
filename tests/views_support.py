"""Source tables and a contract using every join type, calculation and transformation, for the
view compiler tests (database m2d_vc_joins). Sakila has no self-reference; `categories` has one."""

from __future__ import annotations

from typing import Any

DDL = [
    "DROP TABLE IF EXISTS product_tags, tags, reviews, order_items, variants, products, categories",
    """CREATE TABLE categories (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, parent_id INT NULL,
        CONSTRAINT fk_parent FOREIGN KEY (parent_id) REFERENCES categories (id))""",
    "CREATE TABLE products (id INT PRIMARY KEY, name VARCHAR(40), category_id INT NULL, price DECIMAL(10,2))",
    "CREATE TABLE variants (product_id INT, variant_id INT, label VARCHAR(20), PRIMARY KEY (product_id, variant_id))",
    """CREATE TABLE order_items (order_id INT, line INT, product_id INT, variant_id INT NULL, qty INT,
        created_at DATETIME(3), PRIMARY KEY (order_id, line))""",
    "CREATE TABLE reviews (id INT PRIMARY KEY, product_id INT, stars TINYINT, body VARCHAR(80), created_at DATETIME)",
    "CREATE TABLE tags (id INT PRIMARY KEY, name VARCHAR(20))",
    "CREATE TABLE product_tags (product_id INT, tag_id INT, PRIMARY KEY (product_id, tag_id))",
    "INSERT INTO categories VALUES (1, 'Electronics', NULL), (2, 'Phones', 1), (3, 'Smartphones', 2), (4, 'Books', NULL)",
    "INSERT INTO products VALUES (1, 'iPhone', 3, 999.00), (2, 'Novel', 4, 12.50), (3, 'Orphan', NULL, 1.00)",
    "INSERT INTO variants VALUES (1, 1, '64GB'), (1, 2, '128GB')",
    """INSERT INTO order_items VALUES (10, 1, 1, 1, 1, '2024-01-02 03:04:05.678'),
        (10, 2, 2, NULL, 3, '2024-01-02 03:04:05.000'), (11, 1, 3, NULL, 1, '2024-02-01 00:00:00.001')""",
    """INSERT INTO reviews VALUES (1, 1, 5, 'great', '2024-01-01 10:00:00'), (2, 1, 3, 'ok', '2024-01-03 10:00:00'),
        (3, 1, 1, 'bad', '2024-01-02 10:00:00')""",
    "INSERT INTO tags VALUES (1, 'apple'), (2, 'paper')",
    "INSERT INTO product_tags VALUES (1, 1), (2, 2)",
]


def attr(name: str, ddb: str, table: str, column: str | list[str] | None = None, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": ddb, "source_table": table, "source_column": column or name, **extra}


def fk(target: str, condition: str, select: str) -> dict[str, Any]:
    return {"type": "foreign-key", "target_table": target, "join_condition": condition, "select_column": select}


def table(name: str, source: str, pk: str, sk: str | None, attributes: list[dict], **extra: Any) -> dict[str, Any]:
    return {"table": name, "type": "single-entity", "source_table": source, "pk": pk, "sk": sk,
            "attributes": attributes, "satisfies": ["AP1"], "estimated_item_size_bytes": 200, **extra}


CATEGORIES = table("Categories", "categories", "category_name", None, [
    attr("category_name", "S", "categories", "name"),
    attr("parent_name", "S", "categories", "parent_id", join={
        "type": "self-join", "join_alias": "parent_cat", "join_condition": "parent_cat.id = categories.parent_id",
        "select_column": "parent_cat.name", "null_value": "ROOT"}),
    attr("parent_id", "N", "categories", "parent_id", join={
        "type": "self-join", "join_alias": "parent_cat", "join_condition": "parent_cat.id = categories.parent_id",
        "select_column": "parent_cat.id"}),
    attr("product_count", "N", "categories", "id", calculation={
        "type": "aggregate", "target_table": "products", "join_condition": "products.category_id = categories.id",
        "operation": "COUNT", "select_column": "products.id"}),
    attr("total_price", "N", "categories", "id", calculation={
        "type": "aggregate", "target_table": "products", "join_condition": "products.category_id = categories.id",
        "operation": "SUM", "select_column": "products.price"}),
])

PRODUCTS = table("Products", "products", "product_id", None, [
    attr("product_id", "N", "products", "id"),
    attr("name", "S", "products"),
    attr("price", "N", "products"),
    attr("category", "S", "products", "category_id", join=fk("categories", "categories.id = products.category_id",
                                                              "categories.name")),
    attr("recent_reviews", "S", "products", "id", join={
        "type": "json-construction", "target_table": "reviews", "join_condition": "reviews.product_id = products.id",
        "construction": {"type": "array", "limit": 2, "order_by": "reviews.created_at DESC",
                         "select_columns": {"stars": "reviews.stars", "body": "reviews.body", "date": "reviews.created_at"}}}),
    attr("latest_review", "M", "products", "id", join={
        "type": "json-construction", "target_table": "reviews", "join_condition": "reviews.product_id = products.id",
        "construction": {"type": "object", "order_by": "reviews.created_at DESC",
                         "select_columns": {"stars": "reviews.stars", "body": "reviews.body"}}}),
    attr("band", "S", "products", "price", calculation={
        "type": "case", "cases": [{"when": "price >= 100", "then": "'premium'"}], "else": "'budget'"}),
])

ORDER_LINES = table("OrderLines", "order_items", "order_id", "line", [
    attr("order_id", "N", "order_items"),
    attr("line", "N", "order_items"),
    attr("product_name", "S", "order_items", "product_id",
         join=fk("products", "products.id = order_items.product_id", "products.name")),
    attr("alt_product", "S", "order_items", "variant_id",
         join=fk("products", "products.id = order_items.variant_id", "products.name")),
    attr("variant_label", "S", "order_items", ["product_id", "variant_id"], join={
        "type": "multi-column", "target_table": "variants",
        "join_conditions": ["variants.product_id = order_items.product_id", "variants.variant_id = order_items.variant_id"],
        "select_column": "CONCAT(variants.label, '!')"}),
    attr("category_name", "S", "order_items", "product_id", join={"type": "chain", "joins": [
        {"target_table": "products", "join_condition": "products.id = order_items.product_id",
         "select_column": "products.category_id"},
        {"target_table": "categories", "join_condition": "categories.id = products.category_id",
         "select_column": "categories.name"}]}),
    attr("product_path", "S", "order_items", "product_id", join={"type": "chain", "chain_separator": " / ", "joins": [
        {"target_table": "products", "join_condition": "products.id = order_items.product_id",
         "select_column": "products.name"},
        {"target_table": "categories", "join_condition": "categories.id = products.category_id",
         "select_column": "categories.name"}]}),
    attr("bulk", "S", "order_items", "qty", join={
        "type": "conditional", "condition": "order_items.qty > 1", "target_table": "products",
        "join_condition": "products.id = order_items.product_id", "select_column": "products.name",
        "else_value": "single"}),
    attr("created_day", "S", "order_items", "created_at",
         transformation={"type": "date-format", "format": "YYYY-MM-DD", "source_format": "datetime"}),
    attr("created_at", "S", "order_items"),
])

PRODUCT_TAGS = table("ProductTags", "product_tags", "product_id", "tag_name", [
    attr("product_id", "N", "product_tags"),
    attr("tag_name", "S", "product_tags", "tag_id", join={
        "type": "lookup-table", "target_table": "tags", "join_condition": "tags.id = product_tags.tag_id",
        "select_column": "tags.name"}),
])

TIMELINE = {
    "table": "Timeline", "type": "multi-entity", "source_table": "order_items", "pk": "PK", "sk": "SK",
    "attributes": [], "satisfies": ["AP2"], "estimated_item_size_bytes": 100,
    "entities": [
        {"entity_type": "LINE", "source_table": "order_items", "pk_template": "ORDER#{order_id}",
         "sk_template": "LINE#{created_at}#{line}",
         "attributes": [attr("order_id", "N", "order_items"), attr("line", "N", "order_items"),
                        attr("created_at", "S", "order_items")]},
        {"entity_type": "PRODUCT", "source_table": "products", "pk_template": "PRODUCT#{product_id}",
         "sk_template": "PRICE#{price}",
         "attributes": [attr("product_id", "N", "products", "id"), attr("price", "N", "products"),
                        attr("name", "S", "products")]},
        {"entity_type": "CATEGORY", "source_table": "categories", "pk_template": "CATEGORY#{name}", "sk_template": "META",
         "attributes": [attr("name", "S", "categories")]},
    ],
}

JOINS_CONTRACT = {"tables": [CATEGORIES, PRODUCTS, ORDER_LINES, PRODUCT_TAGS, TIMELINE]}
