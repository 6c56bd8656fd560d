"""Persistence: SQLModel tables, engine, unit of work, repositories, migrations.

The only package that imports sqlmodel or sqlalchemy.
"""
