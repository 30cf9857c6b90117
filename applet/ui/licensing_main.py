"""Entry point of the ``licensing`` GUI command: the Licensing applet (Choose Licensing Mode).

Usage::

    licensing [--data-dir DIR] [--config FILE] [--self-test]
    licensing --manager [--data-dir DIR] [--config FILE] [--self-test]
    licensing [--data-dir DIR] [--self-test [--grab PNG]]
    licensing --setup --product NAME [--mode per-server|per-seat] [--users N] [--unattended]

``--self-test`` exits 0 right after the dialog's first paint with the store's products shown, printing
``first-paint <epoch seconds>`` on stdout (the start-up benchmark and the packaging smoke test use it;
``loading-paint <epoch seconds>`` comes first when the "Loading…" state was painted before the products
arrived); with ``--grab PNG`` it first saves the dialog as rendered by this very process (the Windows
build's pictures under Wine come from there).

``--manager`` opens License Manager instead (as ``license-manager`` does), like the frozen folder's
one windowed program, so the same command works in a pip install.

``--setup`` is for product installers: the product is registered if needed and the dialog shows it
alone; with ``--unattended`` the mode and users are applied without any window (the original's
AutoMode / AutoUsers). Exit codes follow ``lls``: 0 success, 2 bad input, 1 a store
fault, each with a one-line message on stderr.
"""

import argparse
import os
import sys
import time
from collections.abc import Sequence

# The frozen folder's flag for License Manager (applet/frozen_gui.py); accepted here too.
MANAGER_FLAG = "--manager"


def build_parser() -> argparse.ArgumentParser:
    """The ``licensing`` command line."""
    parser = argparse.ArgumentParser(
        prog="licensing", description="The Licensing applet: Choose Licensing Mode."
    )
    parser.add_argument("--data-dir", metavar="DIR", help="the store's folder (default: $LLS_DATA_DIR, ...)")
    parser.add_argument(
        "--config", metavar="FILE", help="read this configuration file alone (see `lls config show`)"
    )
    parser.add_argument("--self-test", action="store_true", help="exit right after the first paint")
    parser.add_argument(
        MANAGER_FLAG, action="store_true", help="open License Manager instead (as license-manager does)"
    )
    parser.add_argument("--grab", metavar="PNG", help="with --self-test: save the painted dialog as PNG")
    parser.add_argument("--setup", action="store_true", help="setup mode for a product installer")
    parser.add_argument("--product", metavar="NAME", help="the product to set up (with --setup)")
    parser.add_argument("--mode", help="per-server or per-seat (with --setup)")
    parser.add_argument("--users", metavar="N", help="Per Server concurrent connections (with --setup)")
    parser.add_argument("--unattended", action="store_true", help="apply --setup without showing a window")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the applet; returns the exit code."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if MANAGER_FLAG in arguments:
        from applet.ui.manager.main import main as manager_main

        return manager_main([argument for argument in arguments if argument != MANAGER_FLAG])
    args = build_parser().parse_args(arguments)
    if (args.mode or args.users or args.product or args.unattended) and not args.setup:
        print("licensing: error: --product, --mode, --users and --unattended need --setup", file=sys.stderr)
        return 2
    if args.grab and not args.self_test:
        print("licensing: error: --grab needs --self-test", file=sys.stderr)
        return 2
    if args.setup and not args.product:
        print("licensing: error: --setup needs --product NAME", file=sys.stderr)
        return 2
    from applet.store.config import ConfigError, check_configuration

    try:
        check_configuration(args.config)
    except ConfigError as error:  # before any window: one line, exit 2, nothing opened
        print(f"licensing: error: {error}", file=sys.stderr)
        return 2
    if args.setup:
        # Setup changes the store: on a machine-wide one, only an administrator's (applet.store.access).
        from applet.store.access import store_access
        from applet.store.paths import resolve_paths

        access = store_access(resolve_paths(args.data_dir))
        if not access.may_change:
            print(f"licensing: error: {access.reason}", file=sys.stderr)
            return 1
    if args.setup and args.unattended:
        # No Qt at all for an unattended install.
        from applet.ui.licensing.setup import run_unattended

        return run_unattended(args.data_dir, args.product, args.mode, args.users)
    if not display_available():
        # Qt would abort with a core dump and a screenful of plugin advice.
        print(
            "licensing: error: no display to show the applet on (DISPLAY and WAYLAND_DISPLAY are unset); "
            "use `lls` or `licensing --setup ... --unattended` on a server without a desktop",
            file=sys.stderr,
        )
        return 1
    return _run_gui(args)


def display_available() -> bool:
    """False on a Linux/BSD machine with no X11 or Wayland display and no QT_QPA_PLATFORM chosen."""
    if sys.platform in ("win32", "darwin"):
        return True
    return any(os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))


def _run_gui(args: argparse.Namespace) -> int:
    from PySide6.QtCore import QEvent, QObject, QTimer

    from applet.store.exit_codes import exit_status
    from applet.store.paths import machine_store_warning, resolve_paths
    from applet.ui import messages
    from applet.ui.app import application
    from applet.ui.gateway import StoreGateway
    from applet.ui.licensing.help import show_help

    # Choose Licensing Mode has no dialog button box: their style comes with the first one.
    app = application([sys.argv[0]], dialog_button_icons=False)
    messages.set_help_handler(show_help)
    # The store is opened (created and migrated on a new machine) by the gateway's worker thread, while
    # the dialog paints "Loading…"; nothing here waits on it.
    paths = resolve_paths(args.data_dir)
    gateway = StoreGateway(paths, create=True)
    try:
        if args.setup:
            from applet.ui.licensing.setup import open_setup_dialog

            try:
                dialog = open_setup_dialog(gateway, args.product, args.mode, args.users)
            except Exception as error:  # bad --mode/--users (exit_status re-raises anything else)
                code, message = exit_status(error)
                print(f"licensing: error: {message}", file=sys.stderr)
                return code
        else:
            from applet.ui.licensing.choose_mode import ChooseLicensingModeDialog

            dialog = ChooseLicensingModeDialog(gateway)
        exit_code = 0

        def load_failed(error: Exception) -> None:
            # The store cannot be opened or read, or setup's request is refused: the dialog says so in
            # a box and closes; the installer or script gets the one line and the exit code.
            nonlocal exit_code
            exit_code, message = exit_status(error)
            print(f"licensing: error: {message}", file=sys.stderr)

        dialog.load_failed.connect(load_failed)
        # Stat calls only: whether a machine-wide store exists that this dialog does not show.
        warning = machine_store_warning(paths)
        if warning:
            dialog.show_store_warning(warning)
        if args.self_test:

            def grab_and_quit() -> None:
                nonlocal exit_code
                if args.grab and not dialog.grab().save(args.grab):
                    print(f"licensing: error: cannot write the picture {args.grab}", file=sys.stderr)
                    exit_code = 1
                app.quit()

            class FirstPaint(QObject):
                """Quit the event loop once the dialog has painted the store's data."""

                seen = False
                loading_seen = False

                def eventFilter(self, watched: QObject, event: QEvent) -> bool:
                    if event.type() != QEvent.Type.Paint or self.seen:
                        return False
                    if not dialog.is_loaded:
                        if not self.loading_seen:
                            self.loading_seen = True
                            print(f"loading-paint {time.time():.6f}", flush=True)
                        return False
                    self.seen = True
                    # Wall-clock time of the first paint with the products shown, for the benchmark.
                    print(f"first-paint {time.time():.6f}", flush=True)
                    QTimer.singleShot(0, grab_and_quit)
                    return False

            painted = FirstPaint(dialog)
            dialog.installEventFilter(painted)
            # The products change child widgets only: repaint the whole dialog once they are shown.
            dialog.loaded.connect(dialog.update)
        dialog.finished.connect(app.quit)
        dialog.show()
        app.exec()
        dialog.deleteLater()
    finally:
        gateway.close()
    return exit_code


if __name__ == "__main__":
    raise SystemExit(main())
