"""The query layer: the canned-query catalog, parameter binding, guards, result formats and the API."""
