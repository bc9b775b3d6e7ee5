"""The web explorer and read-only SPARQL 1.1 endpoint behind `aihkg serve` (Starlette, uvicorn, Jinja2).

Imported only by the `serve` command and by `aihkg viz -o x.html` (web.page), so no other command
pays for the web stack. `web.app.Explorer` is the core object; the views call the library through
worker processes (web.workers, web.ops).
"""
