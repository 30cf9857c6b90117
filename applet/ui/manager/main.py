"""``license-manager`` (and ``lls manager``): start License Manager on the store of the data folder."""

import argparse
import sys
from collections.abc import Sequence

from applet.store import Store, StoreError
from applet.store.paths import resolve_paths


def run(
    data_dir: str | None = None,
    argv: Sequence[str] | None = None,
    self_test: bool = False,
    grab: str | None = None,
    master: str | None = None,
    token_file: str | None = None,
    certificate: str | None = None,
) -> int:
    """Open the window on ``data_dir``'s store and run until it closes; returns the exit code.

    ``master`` (with ``token_file``): show the enterprise from that master once it answers (the window
    opens on the local store and says why if it does not). ``self_test`` closes the window as soon as
    its first tab has shown the store's rows (a smoke test of an installed or frozen build); ``grab``
    names a PNG file the window is saved to just before.
    """
    from applet.ui import messages
    from applet.ui.app import application
    from applet.ui.manager.window import ManagerWindow

    app = application(argv)
    paths = resolve_paths(data_dir)
    try:
        # Create or migrate the store once, before the window (the workers then only open it), and read
        # every page once: a damaged store is a message now, not a window that waits on it forever.
        store = Store(paths)
        try:
            store.db.quick_check()
        finally:
            store.close()
    except StoreError as error:
        messages.critical(
            None, app.translate("LicenseManager", "License Manager"), " ".join(str(error).split())
        )
        return 1
    window = ManagerWindow(paths)
    grab_failed = False
    if self_test:

        def grab_and_close(_tab: object) -> None:
            nonlocal grab_failed
            if grab and not grab_failed and not window.grab().save(grab):
                print(f"license-manager: error: cannot write the picture {grab}", file=sys.stderr)
                grab_failed = True
            window.close()

        window.refreshed.connect(grab_and_close)
    window.show()
    window.start()
    if master:
        window.connect_master(master, token_file or "", certificate)
    code = app.exec()
    return 1 if grab_failed else code


def main(argv: Sequence[str] | None = None) -> int:
    """The GUI entry point: ``license-manager [--data-dir DIR] [--config FILE] [--master HOST[:PORT]
    --token-file F]``."""
    parser = argparse.ArgumentParser(prog="license-manager", description="License Manager (Licensing).")
    parser.add_argument("--data-dir", metavar="DIR", default=None, help="the store's folder")
    parser.add_argument(
        "--config", metavar="FILE", help="read this configuration file alone (see `lls config show`)"
    )
    parser.add_argument("--master", metavar="HOST[:PORT]", help="show the enterprise from this master server")
    parser.add_argument("--token-file", metavar="F", help="the master's administrator token (with --master)")
    parser.add_argument(
        "--certificate", metavar="PEM", help="a self-signed master's certificate (with --master)"
    )
    parser.add_argument("--self-test", action="store_true", help="exit once the first tab has loaded")
    parser.add_argument("--grab", metavar="PNG", help="with --self-test: save the loaded window as PNG")
    args, qt_args = parser.parse_known_args(argv if argv is not None else sys.argv[1:])
    if args.grab and not args.self_test:
        parser.error("--grab needs --self-test")
    if args.master is not None and not args.token_file:
        parser.error("--master needs --token-file F (the master's administrator token)")
    if (args.token_file or args.certificate) and args.master is None:
        parser.error("--token-file and --certificate go with --master HOST[:PORT]")
    from applet.store.config import ConfigError, check_configuration

    try:
        check_configuration(args.config)
    except ConfigError as error:  # before any window: one line, exit 2, nothing opened
        print(f"license-manager: error: {error}", file=sys.stderr)
        return 2
    return run(
        args.data_dir,
        [sys.argv[0], *qt_args],
        args.self_test,
        args.grab,
        args.master,
        args.token_file,
        args.certificate,
    )


if __name__ == "__main__":
    raise SystemExit(main())
