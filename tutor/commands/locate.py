"""`lambda-tutor locate`: where the data directory, the database and the content live."""

from __future__ import annotations

import json


def run(args) -> int:
    from tutor.locations import builtin_content_dir, data_dir, database_path, database_url
    from tutor.progress.postgres import masked_url

    url = database_url()
    paths = {
        "data_dir": str(data_dir()),
        "database": masked_url(url) if url else str(database_path()),
        "content": str(builtin_content_dir()),
    }
    if args.json:
        print(json.dumps(paths, indent=2))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title="lambda-tutor files", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("where")
    for label, key in (("data directory", "data_dir"), ("database", "database"), ("content", "content")):
        table.add_row(label, paths[key])
    Console().print(table)
    return 0
