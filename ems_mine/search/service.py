"""The search service: FastAPI over an :class:`~ems_mine.search.index.Index`, with a page at ``/``.

- ``GET /search?q=…&lang=de&k=10`` → ``{"query", "lang", "k", "hits": [{"id", "text", "lang", "score"}, …]}``
- ``POST /search`` ``{"queries": [...], "lang": "de", "k": 10}`` → ``{"results": [{"query", "hits"}, …]}``
- ``GET /health`` → ``{"status": "ok", "count": N}``; ``GET /info`` → the index's model, size, languages.

Concurrent requests are batched: queries that arrive within a few milliseconds are encoded in one call and
searched in one FAISS call. Every bad request (no ``q``, ``k`` out of range, unknown or malformed fields, a
query over the size limit, invalid JSON, an unknown language code) gets a 4xx with a JSON ``{"error": ...}``
body, and the server keeps answering.
"""
# no "from __future__ import annotations": FastAPI reads the endpoints' annotations at run time

import asyncio
from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError
from .index import MAX_K

MAX_QUERY_CHARS = 2000
MAX_BATCH_QUERIES = 256
PAGE = Path(__file__).with_name("page.html")


@dataclass
class _Job:
    queries: list[str]
    lang: str | None
    k: int
    future: asyncio.Future


class Batcher:
    """Collects queries for up to ``wait`` seconds (or ``max_batch`` of them) and answers them together."""

    def __init__(self, index, max_batch: int = 64, wait: float = 0.003):
        self.index, self.max_batch, self.wait = index, max_batch, wait
        self.queue: asyncio.Queue[_Job] = asyncio.Queue()
        self.task: asyncio.Task | None = None

    async def start(self) -> None:
        self.task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self.task:
            self.task.cancel()

    async def search(self, queries: list[str], lang: str | None, k: int) -> list[list[dict]]:
        fut = asyncio.get_running_loop().create_future()
        await self.queue.put(_Job(queries, lang, k, fut))
        return await fut

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            jobs = [await self.queue.get()]
            n = len(jobs[0].queries)
            deadline = loop.time() + self.wait
            while n < self.max_batch:
                try:
                    job = await asyncio.wait_for(self.queue.get(), max(0.0, deadline - loop.time()))
                except TimeoutError:
                    break
                jobs.append(job)
                n += len(job.queries)
            try:
                results = await loop.run_in_executor(None, self._answer, jobs)
                for job, res in zip(jobs, results):
                    if not job.future.done():
                        job.future.set_result(res)
            except Exception as e:  # noqa: BLE001 - handed to the waiting requests
                for job in jobs:
                    if not job.future.done():
                        job.future.set_exception(e)

    def _answer(self, jobs: list[_Job]) -> list[list[list[dict]]]:
        """One encode and one search for every query of every job."""
        from ..vectors import l2_normalize

        queries = [q for job in jobs for q in job.queries]
        emb = l2_normalize(self.index.encoder.encode(queries, batch_size=128))
        hits = self.index.search_embeddings(emb, max(job.k for job in jobs))
        out, pos = [], 0
        for job in jobs:
            out.append([h[: job.k] for h in hits[pos : pos + len(job.queries)]])
            pos += len(job.queries)
        return out


def create_app(index, max_batch: int = 64, wait: float = 0.003):
    """The FastAPI application for ``index``."""
    from contextlib import asynccontextmanager

    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import HTMLResponse, JSONResponse
    from pydantic import BaseModel, ConfigDict, Field
    from starlette.exceptions import HTTPException as StarletteHTTPException

    batcher = Batcher(index, max_batch, wait)

    @asynccontextmanager
    async def lifespan(app):
        await batcher.start()
        yield
        await batcher.stop()

    app = FastAPI(title="ems-mine search", lifespan=lifespan, docs_url=None, redoc_url=None)

    class Batch(BaseModel):
        model_config = ConfigDict(extra="forbid")
        queries: list[str] = Field(min_length=1, max_length=MAX_BATCH_QUERIES)
        lang: str | None = None
        k: int = Field(default=10, ge=1, le=MAX_K)

    def error(status: int, message: str) -> JSONResponse:
        return JSONResponse(status_code=status, content={"error": message})

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(x) for x in first.get("loc", ()) if x != "body")
        return error(422, f"{where}: {first.get('msg', 'invalid request')}" if where else first.get("msg", "invalid request"))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        return error(exc.status_code, str(exc.detail))

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception):
        return error(500, f"internal error: {type(exc).__name__}")

    def check(queries: list[str], lang: str | None) -> str | None:
        for q in queries:
            if not q.strip():
                return "a query is empty"
            if len(q) > MAX_QUERY_CHARS:
                return f"a query is longer than {MAX_QUERY_CHARS} characters"
        if lang is not None:
            from ..languages import check_lang, normalize_lang

            try:
                known = tuple(getattr(index.encoder, "languages", ()) or ())
                check_lang(lang, known) if known else normalize_lang(lang)
            except UserError as e:
                return str(e)
        return None

    @app.get("/search")
    async def search_get(request: Request):
        params = request.query_params
        unknown = sorted(set(params) - {"q", "lang", "k"})
        if unknown:
            return error(400, f"unknown parameter(s) {', '.join(unknown)}; use q, lang and k")
        if "q" not in params:
            return error(400, "missing q: /search?q=your+sentence&lang=de&k=10")
        if any(len(params.getlist(p)) > 1 for p in params):
            return error(400, "give each of q, lang and k once")
        q, lang = params["q"], params.get("lang") or None
        try:
            k = int(params.get("k", "10"))
        except ValueError:
            return error(400, f"k={params.get('k')!r}: give a whole number from 1 to {MAX_K}")
        if not 1 <= k <= MAX_K:
            return error(400, f"k={k}: choose from 1 to {MAX_K}")
        problem = check([q], lang)
        if problem:
            return error(400, problem)
        hits = (await batcher.search([q], lang, k))[0]
        return {"query": q, "lang": lang, "k": k, "hits": hits}

    @app.post("/search")
    async def search_post(batch: Batch):
        problem = check(batch.queries, batch.lang)
        if problem:
            return error(400, problem)
        hits = await batcher.search(batch.queries, batch.lang, batch.k)
        return {"results": [{"query": q, "hits": h} for q, h in zip(batch.queries, hits)]}

    @app.get("/health")
    async def health():
        return {"status": "ok", "count": len(index)}

    @app.get("/info")
    async def info():
        return {**index.info(), "query_languages": list(getattr(index.encoder, "languages", ()) or ())}

    @app.get("/", response_class=HTMLResponse)
    async def page():
        return PAGE.read_text(encoding="utf-8")

    return app


def serve(index_dir: str, host: str = "127.0.0.1", port: int = 8000, model: str | None = None) -> None:
    """Load the index and serve it until interrupted."""
    import uvicorn

    from .index import Index

    try:
        import fastapi  # noqa: F401
    except ImportError:
        raise UserError("the service needs FastAPI and uvicorn: pip install 'ems-mine[serve]'") from None
    index = Index.load(index_dir, model=model)
    app = create_app(index)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
