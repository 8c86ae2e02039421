"""Phoenix's span query DSL (``POST /v1/spans`` with ``queries``) and the pandas table JSON its
clients read the answer as. The filter language itself is :mod:`spyglass_db.filters`, shared
with the evaluation plane."""
