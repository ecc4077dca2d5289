"""squeeze: loads the squeeze SQLite compression extension into a sqlite3 connection.

    import sqlite3
    import squeeze

    db = sqlite3.connect("mydb.sqlite")
    db.enable_load_extension(True)
    squeeze.load(db)
    db.enable_load_extension(False)
    db.execute("UPDATE docs SET body = compress(body)")

The extension itself, squeeze.so, is shipped inside this package, next to this
file (`make python` puts it there, in build/python/squeeze/); nothing is looked
up anywhere else, so the package always loads the extension it was built with.
As with sqlite-vec's package, enable loading on the connection first
(SQLite refuses otherwise; Debian's build of SQLite allows this call anyway):
load() does not change that setting. The sqlite3 module must be built with
extension loading (Debian's /usr/bin/python3 is; some other builds are not, and
then Connection has no enable_load_extension).
"""

import os
import sqlite3

__all__ = ["load", "loadable_path", "__version__"]

__version__ = "0.1.0"


def loadable_path() -> str:
    """The absolute path of the squeeze.so shipped in this package.

    Raises FileNotFoundError when the package was installed without it (built
    from bindings/python instead of the build/python tree that `make python`
    stages)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "squeeze.so")
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"squeeze: {path} is missing; build the package with `make python` "
            "and use build/python"
        )
    return path


def load(conn: sqlite3.Connection) -> None:
    """Loads squeeze into conn, on which conn.enable_load_extension(True) was called.

    Raises sqlite3.OperationalError when SQLite refuses (loading not enabled,
    or the shared object cannot be loaded), and FileNotFoundError as
    loadable_path() does."""
    conn.load_extension(loadable_path())
