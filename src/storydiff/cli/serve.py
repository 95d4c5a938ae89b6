"""`storydiff serve [--db PATH] [--port N] [--host H]`: the local web UI (stories and side-by-side compare)."""

from __future__ import annotations

import argparse
import sys
import threading

EXAMPLE = """example:
  storydiff serve                      # compare page only, on http://127.0.0.1:8765/
  storydiff serve --db news.duckdb     # also browse the stories in a store
  storydiff serve --port 9000 --no-model"""

DEFAULT_PORT = 8765


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the serve command."""
    p = sub.add_parser("serve", help="start the local web UI", epilog=EXAMPLE,
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Serve the web UI on this machine: browse stories in a store, or compare pasted "
                                   "and uploaded reports side by side. Binds 127.0.0.1 unless --host is given.")
    p.add_argument("--db", metavar="PATH", help="store to browse (default: none; the compare page works without)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default: {DEFAULT_PORT}; 0 picks a free one)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default: 127.0.0.1; 0.0.0.0 exposes it to the network)")
    p.add_argument("--embedder", default="auto", choices=("auto", "minilm", "model2vec", "hashing"),
                   help="sentence embedding backend (default: auto = best installed)")
    p.add_argument("--no-model", action="store_true", help="use the fast rule-based analysis instead of spaCy")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Build the app and serve it until Ctrl-C."""
    from storydiff.analyze import AnalyzeOptions
    from storydiff.comparison.pipeline import CompareOptions
    from storydiff.errors import MissingExtraError, UsageError

    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port} is not a port number (0-65535)")
    try:
        import uvicorn
    except ImportError:
        raise MissingExtraError("web", "uvicorn") from None
    from storydiff.web.app import create_app

    options = CompareOptions(embedder=args.embedder, analyze=AnalyzeOptions(use_model=not args.no_model))
    loopback = args.host in ("127.0.0.1", "localhost", "::1")
    app = create_app(args.db, options=options, **({} if loopback else {"allowed_hosts": None}))
    config = uvicorn.Config(app, host=args.host, port=args.port, log_level="warning", access_log=False, lifespan="off",
                            timeout_graceful_shutdown=3)
    server = uvicorn.Server(config)
    if not loopback:
        print(f"storydiff: warning: listening on {args.host}: other machines can reach this server",
              file=sys.stderr)

    original_startup = server.startup

    async def startup(sockets=None):  # type: ignore[no-untyped-def]
        await original_startup(sockets=sockets)
        if server.started:
            port = server.servers[0].sockets[0].getsockname()[1] if server.servers else args.port
            host = f"[{args.host}]" if ":" in args.host else args.host
            print(f"storydiff: serving on http://{host}:{port}/ (Ctrl-C to stop)", flush=True)

    server.startup = startup  # type: ignore[method-assign]
    threading.Thread(target=_warm, args=(options,), name="storydiff-warm", daemon=True).start()
    try:
        server.run()
    except KeyboardInterrupt:  # uvicorn re-raises Ctrl-C after its graceful shutdown
        pass
    except SystemExit:  # uvicorn exits when it cannot bind
        server.started = False
    if not server.started:
        print(f"storydiff: error: could not listen on {args.host}:{args.port} (port in use?)", file=sys.stderr)
        return 1
    print("storydiff: stopped", file=sys.stderr)
    return 0


def _warm(options) -> None:  # type: ignore[no-untyped-def]
    """Load the analysis and embedding models in the background, so the first comparison does not wait."""
    from storydiff.comparison.pipeline import compare_articles
    from storydiff.model import Article

    try:
        compare_articles([Article(id="a", body="The council met on Monday. It approved the budget."),
                          Article(id="b", body="On Monday the council approved the budget.")], options)
    except Exception as exc:  # a broken model shows up again, with its message, on the first real comparison
        print(f"storydiff: warning: could not load the comparison models ({exc})", file=sys.stderr)
