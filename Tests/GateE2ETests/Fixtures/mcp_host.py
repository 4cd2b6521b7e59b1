#!/usr/bin/env python3
"""An agent host for the tests: the official MCP Python SDK (PyPI `mcp`) drives `gate mcp` over
stdio, as Claude Desktop or any MCP client would, and prints one JSON line per finding.

usage: mcp_host.py SCENARIO GATE_BINARY   (basic | approve | deny | cancel)
The environment (GATE_HOME, GATE_POLICY, APPROVER_KEY, MARKER, …) is passed to gate as is.
"""
import asyncio, json, os, re, subprocess, sys

import anyio
import jsonschema
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

scenario, gate = sys.argv[1], sys.argv[2]
out = lambda **kw: print(json.dumps(kw), flush=True)
env = {k: v for k, v in os.environ.items() if k.startswith("GATE_") or k in ("PATH", "HOME", "LANG", "NO_COLOR")}


def structured(result):
    return {"is_error": result.is_error, "structured": result.structured_content,
            "text": [c.text for c in result.content if getattr(c, "type", "") == "text"]}


def decide(verb, request_id):
    args = [gate, verb, request_id, "--key", os.environ["APPROVER_KEY"]] + (["--reason", "not today"] if verb == "deny" else [])
    return subprocess.run(args, env=os.environ, capture_output=True, text=True)


async def main():
    params = StdioServerParameters(command=gate, args=["mcp", "--agent", "test-agent"], env=env)
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            out(step="initialize", protocol=init.protocol_version, server=init.server_info.name)
            if scenario == "basic":
                tools = (await session.list_tools()).tools
                for t in tools:
                    jsonschema.Draft202012Validator.check_schema(t.input_schema)
                    if t.output_schema is not None:
                        jsonschema.Draft202012Validator.check_schema(t.output_schema)
                out(step="tools", names=[t.name for t in tools])
                r = await session.call_tool("run", {"argv": ["sh", "-c", "echo out; echo err >&2; exit 3"]})
                out(step="run", **structured(r))
                r = await session.call_tool("explain", {"argv": ["touch", os.environ["MARKER"]]})
                out(step="explain", **structured(r))
                r = await session.call_tool("status", {"id": "ZZZZ-ZZZZ"})
                out(step="status-unknown", **structured(r))
                return
            progress = []
            decided = anyio.Event()

            async def on_progress(value, total, message):
                progress.append(message)
                m = re.search(r"gate approve ([0-9A-Z]{4}-[0-9A-Z]{4})", message or "")
                if m and scenario in ("approve", "deny") and not decided.is_set():
                    decided.set()
                    done = await anyio.to_thread.run_sync(decide, scenario, m.group(1))
                    out(step="decided", status=done.returncode, stderr=done.stderr)
                if m and scenario == "cancel":
                    decided.set()

            if scenario in ("approve", "deny"):
                r = await session.call_tool("run", {"argv": ["sh", "-c", "echo approved-run; touch \"$0\"", os.environ["MARKER"]],
                                                    "reason": "e2e", "timeout_seconds": 60}, progress_callback=on_progress)
                out(step="run", progress=progress, **structured(r))
            elif scenario == "cancel":
                async with anyio.create_task_group() as tg:
                    async def call():
                        await session.call_tool("run", {"argv": ["sh", "-c", "touch \"$0\"", os.environ["MARKER"]], "timeout_seconds": 60},
                                                progress_callback=on_progress)
                    tg.start_soon(call)
                    with anyio.fail_after(20):
                        await decided.wait()
                    tg.cancel_scope.cancel()
                # Withdrawn on record while the session is still open (not only when it closes).
                withdrawn = False
                for _ in range(200):
                    log = subprocess.run([gate, "log", "--json"], env=os.environ, capture_output=True, text=True).stdout
                    if '"kind":"cancelled"' in log:
                        withdrawn = True
                        break
                    await anyio.sleep(0.05)
                out(step="cancelled", progress=progress, withdrawn_while_open=withdrawn)
                # The server keeps serving after a cancellation.
                r = await session.call_tool("explain", {"argv": ["true"]})
                out(step="after", **structured(r))
                await anyio.sleep(1)


anyio.run(main)
