"""The `<id:...>` path converter every URL of ours uses for database ids.

Django's `<int:...>` matches any number of digits, and a 30-digit id overflows the database's integer
(OverflowError on SQLite, an error from psycopg on PostgreSQL): a 500 where a 404 belongs. Ids fit in
a signed 64-bit integer, so anything longer than 18 digits is not one of ours and does not match.
"""

from django.urls import register_converter


class IdConverter:
    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")
