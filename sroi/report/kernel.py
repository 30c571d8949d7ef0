"""A notebook kernel started before it is needed, so it boots while the caller works.

Starting a Python kernel and importing the report code in it takes seconds. ``sroi run``
starts the kernel (:func:`start_kernel`) before it checks the spec and reads the data, and
asks it at once to import the report code (a silent request, run before the notebook's first
cell; nothing appears in the notebook and no execution count is used). Papermill then runs
the notebook in that kernel (:attr:`PrestartedKernel.manager`).

Readiness: papermill's client is ready when the kernel has answered its ``kernel_info``
request and the request's ``idle`` status has reached the client's IOPub channel (so every
later output reaches it too). jupyter_client's own check also waits until IOPub has been
silent for 0.2 s, which here is only a delay (:func:`_ready_client`).

Transport: on POSIX systems the kernel talks over Unix sockets in a private temporary folder
(ZeroMQ ``ipc``), not over TCP ports on localhost. Picking free TCP ports and binding them later
is a race: under ``sroi batch`` several kernels start at once on one machine, and a kernel
whose port was taken in between dies before the report runs (or receives another kernel's
messages, which it rejects as wrongly signed). Windows has no ``ipc`` transport and keeps TCP.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["PrestartedKernel", "start_kernel", "VALUE_WARM_UP", "WARM_UP"]

#: Modules the kernel imports before the evaluation report runs: the setup cell's module and
#: the estimation code its later cells import.
WARM_UP = ("sroi.report.notebook", "sroi.report.pipeline")

#: The value re-run notebook's setup (no estimation code).
VALUE_WARM_UP = ("sroi.report.notebook",)


class PrestartedKernel:
    """A running kernel with its warm-up request sent (see :func:`start_kernel`).

    Attributes
    ----------
    manager
        The kernel manager (:class:`jupyter_client.AsyncKernelManager`), handed to papermill.
    """

    def __init__(
        self,
        kernel_name: str = "python3",
        warm_up: tuple[str, ...] = WARM_UP,
        env: dict[str, str] | None = None,
    ) -> None:
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        class _Manager(AsyncKernelManager):
            """Remembers its clients, so :meth:`shutdown` closes papermill's one too."""

            def client(self, **kwargs: Any) -> Any:
                made = super().client(**kwargs)
                clients.append(made)
                return made

        clients: list[Any] = []
        self._clients = clients
        self._run_sync = run_sync
        self._socket_dir: str | None = None
        if os.name == "posix":
            # a short private folder: Unix socket paths are limited to about 100 characters
            self._socket_dir = tempfile.mkdtemp(prefix="sroi-kernel-")
            self.manager: Any = _Manager(
                kernel_name=kernel_name,
                transport="ipc",
                connection_file=os.path.join(self._socket_dir, "kernel.json"),
                client_factory=_ready_client(),
            )
        else:
            self.manager = _Manager(kernel_name=kernel_name, client_factory=_ready_client())
        try:
            # no history database, as nbclient starts its kernels
            run_sync(self.manager.start_kernel)(
                extra_arguments=["--HistoryManager.hist_file=:memory:"],
                env={**os.environ, **(env or {})},
            )
        except BaseException:
            if self._socket_dir is not None:
                shutil.rmtree(self._socket_dir, ignore_errors=True)
            raise
        self._client: Any = self.manager.client()
        # the shell channel alone: replies to the warm-up; no heartbeat or output threads
        self._client.start_channels(iopub=False, stdin=False, hb=False, control=False)
        self._pending: list[str] = []
        self._closed = False
        # __import__: the modules are loaded, no name is bound in the notebook's namespace
        self._silent("; ".join(f"__import__({m!r})" for m in warm_up))

    def _silent(self, code: str) -> None:
        # silent: no outputs, no execution count; stop_on_error=False: a failure here must not
        # cancel the requests queued behind it (the notebook's own cell then reports it)
        msg_id = self._client.execute(code, silent=True, store_history=False, stop_on_error=False)
        self._pending.append(msg_id)

    def wait(self, timeout: float | None = None) -> None:
        """Wait until the kernel has run the requests sent so far (the warm-up import).

        Call it before papermill sends the first cell: requests from two connections are not
        ordered, so a cell sent earlier could run before the warm-up or the change of folder.
        Whether the warm-up failed does not matter (the notebook's setup cell then fails and
        says why).

        Parameters
        ----------
        timeout
            Seconds to wait at most (``None``: no limit).

        Raises
        ------
        TimeoutError
            If ``timeout`` passed first. If the kernel dies, this returns (papermill then
            reports the dead kernel).
        """
        import queue
        import time

        deadline = None if timeout is None else time.monotonic() + timeout
        get = self._run_sync(self._client.get_shell_msg)
        alive = self._run_sync(self.manager.is_alive)
        while self._pending:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"the kernel's warm-up took more than {timeout} s")
            try:
                msg = get(timeout=1.0)
            except queue.Empty:
                if not alive():
                    return
                continue
            parent = msg.get("parent_header", {}).get("msg_id")
            if parent in self._pending:
                self._pending.remove(parent)

    def chdir(self, folder: str | Path) -> None:
        """Make ``folder`` the kernel's working folder (papermill's ``cwd`` for a new kernel)."""
        self._silent(f"__import__('os').chdir({str(Path(folder).resolve())!r})")

    def stop(self) -> None:
        """Kill the kernel's process without waiting for it to end.

        The caller goes on (writing the report's pages) while the process ends, and
        :meth:`shutdown` then finds it ended instead of polling for it every 0.1 s.
        """
        if self._closed or not self._run_sync(self.manager.is_alive)():
            return
        self._run_sync(self.manager.provisioner.kill)()

    def shutdown(self) -> None:
        """Stop the kernel and close the connection (idempotent)."""
        if self._closed:
            return
        self._closed = True
        try:
            for client in self._clients:
                if client.channels_running:
                    client.stop_channels()
        finally:
            if self.manager.has_kernel:  # alive, or killed by stop() and not yet reaped
                self._run_sync(self.manager.shutdown_kernel)(now=True)
            self._run_sync(self.manager.cleanup_resources)()
            if self._socket_dir is not None:
                shutil.rmtree(self._socket_dir, ignore_errors=True)


def _ready_client() -> type:
    """jupyter_client's asynchronous client with a readiness check that does not wait idly.

    ``wait_for_ready`` sends ``kernel_info`` requests until one is answered on the shell
    channel and its ``idle`` status arrives on the IOPub channel (each within the time
    jupyter_client allows: 1 s for the reply, 0.2 s for each IOPub message); the status
    proves the IOPub subscription is live, so no output of a later request can be lost.
    Messages of other requests are skipped, as papermill skips them anyway.
    """
    import queue
    import time

    from jupyter_client import protocol_version_info
    from jupyter_client.asynchronous import AsyncKernelClient

    class ReadyClient(AsyncKernelClient):
        async def wait_for_ready(self, timeout: float | None = None) -> None:
            deadline = float("inf") if timeout is None else time.monotonic() + timeout
            while True:
                msg_id = self.kernel_info()
                reply = await self._answer(self.shell_channel, msg_id, 1.0)
                if reply is not None and await self._idle(msg_id):
                    major = int(reply["content"]["protocol_version"].split(".")[0])
                    if major != protocol_version_info[0]:
                        self.session.adapt_version = major
                    return
                if not await self.is_alive():
                    raise RuntimeError("Kernel died before replying to kernel_info")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")

        @staticmethod
        async def _answer(channel: Any, msg_id: str, wait: float) -> dict[str, Any] | None:
            """The next message on ``channel`` answering ``msg_id`` (None: none in time)."""
            while True:
                try:
                    msg = await channel.get_msg(timeout=wait)
                except queue.Empty:
                    return None
                if msg.get("parent_header", {}).get("msg_id") == msg_id:
                    return msg

        async def _idle(self, msg_id: str) -> bool:
            """Whether the ``idle`` status of request ``msg_id`` arrives on IOPub."""
            while True:
                msg = await self._answer(self.iopub_channel, msg_id, 0.2)
                if msg is None:
                    return False
                if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                    return True

    return ReadyClient


def start_kernel(
    kernel_name: str = "python3",
    warm_up: tuple[str, ...] = WARM_UP,
    *,
    env: dict[str, str] | None = None,
) -> PrestartedKernel:
    """Start a kernel and have it import the report code while the caller does other work.

    Parameters
    ----------
    kernel_name
        The Jupyter kernel (``python3``: this Python, as papermill uses for the reports).
    warm_up
        Modules to import in the kernel at once (default: :data:`WARM_UP`, for the
        evaluation report).
    env
        Environment variables for the kernel, added to this process's (e.g.
        ``{"SROI_REPORT_WORKERS": "0"}``).

    Returns
    -------
    PrestartedKernel
        Pass it to :func:`sroi.report.run` (``kernel=``); call
        :meth:`~PrestartedKernel.shutdown` if it is not used.
    """
    return PrestartedKernel(kernel_name, warm_up, env)
