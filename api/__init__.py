"""shiftmix service edge: the FastAPI app, its schemas, storage, jobs and the ``shiftmix`` CLI."""

__all__: list[str] = []
