"""Help -> Contents and Help -> About of License Manager (the help page is shown in the applet's viewer)."""

from PySide6.QtCore import QObject, QUrl
from PySide6.QtWidgets import QWidget

from applet import __version__
from applet.resources import resource_path
from applet.store.paths import DataPaths
from applet.ui import messages
from applet.ui.licensing.help import HelpViewer

HELP_PAGE = "license-manager.html"


def show_help_topic(viewer: HelpViewer | None, topic: str, window: QObject) -> HelpViewer:
    """Show License Manager's help at ``topic`` (an anchor), in ``viewer`` or a new one; returns it.

    The viewer is a window of its own (no parent), deleted with ``window``.
    """
    if not isinstance(viewer, HelpViewer):
        viewer = HelpViewer(None)
        viewer.setWindowTitle(window.tr("License Manager Help"))
        viewer.browser.setSource(QUrl.fromLocalFile(str(resource_path("help", HELP_PAGE))))
        window.destroyed.connect(viewer.deleteLater)
    viewer.show_topic(topic)
    return viewer


def show_about(window: QWidget, paths: DataPaths) -> None:
    """The About box: version and data folder."""
    messages.information(
        window,
        window.tr("About License Manager"),
        window.tr("License Manager %1").replace("%1", __version__),
        window.tr("Licensing: license-usage monitoring.\nData folder: %1").replace("%1", str(paths.data_dir)),
    )
