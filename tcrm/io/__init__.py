"""Reading and writing other tools' files: CSV, vCard and JSON text, nothing more.

A front end like the CLI: it turns files into ``tcrm.services.imports.Source`` rows and
exported records into bytes. What the rows mean, and what is written where, is decided
by the services.
"""
