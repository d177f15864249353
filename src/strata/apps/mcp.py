"""`strata mcp serve`: published apps and knowledge-base search as MCP tools (official SDK 2.x).

Each published app is a tool named after the app taking `{"input": {...}}`; it runs the app's
production version (else its latest). `kb_search` searches any knowledge base with citations.
"""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import MCPServer

from strata.apps.kb import KnowledgeBases
from strata.apps.service import Apps

INSTRUCTIONS = (
    "Strata apps: each tool runs a published app on {'input': {...}} and returns its output and "
    "run id; kb_search returns knowledge-base chunks with citations."
)


def _app_tool(apps: Apps, name: str) -> Any:
    async def run_app(input: dict[str, Any]) -> dict[str, Any]:
        result = await apps.run(name, input, source="mcp")
        result.raise_for_status()
        return {"run_id": result.run_id, "version": result.version, "output": result.output}

    return run_app


def _kb_tool(kbs: KnowledgeBases) -> Any:
    def kb_search(kb: str, query: str, k: int = 5) -> list[dict[str, Any]]:
        """Hybrid (BM25 + dense) search of a knowledge base; hits carry path, page and chunk."""
        return [hit.to_dict() for hit in kbs.search(kb, query, k=k)]

    return kb_search


def build_server(apps: Apps, kbs: KnowledgeBases | None = None) -> MCPServer:
    """An MCP server with one tool per published app, plus `kb_search` when KBs exist."""
    server: MCPServer = MCPServer("strata", instructions=INSTRUCTIONS)
    for app in apps.listing():
        fields = ", ".join(app["spec_input"]) or "none"
        server.add_tool(
            _app_tool(apps, app["app"]),
            name=app["app"],
            description=f"{app['description'] or 'Strata app ' + app['app']} "
            f"(input fields: {fields}; latest version {app['latest']}).",
        )
    if kbs is not None and kbs.names():
        server.add_tool(
            _kb_tool(kbs),
            name="kb_search",
            description=f"Search a knowledge base ({', '.join(kbs.names())}) with citations.",
        )
    return server
