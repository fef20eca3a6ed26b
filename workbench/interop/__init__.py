"""Exchange with other qualitative-analysis tools: REFI-QDA projects (.qdpx) and codebooks (.qdc).

`qdpx_model` holds the typed values, `qdpx_write` turns them into a project file and
`qdpx_read` reads one back, refusing hostile archives. None of them touches the database:
`workbench.services.qdpx_export` and `qdpx_import` do.
"""
