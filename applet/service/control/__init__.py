"""Service control: the background service's start, wait and stop, and the operating systems' service
managers (systemd units on Linux, the Service Control Manager on Windows).

``lls service start|stop|startup`` (applet/cli/service.py), License Manager's Start Service button (it
runs ``lls service start``) and the Windows service host (``lls.exe --windows-service``, in
:mod:`applet.service.control.windows` with the service's registration) all come here, so each of these
things is done one way. Failures raise :class:`ServiceControlError` with a one-line message for
the administrator; the callers decide how to report it (the CLI exits 1).
"""


class ServiceControlError(Exception):
    """Starting, stopping or registering the service failed; the message says why, on one line."""
