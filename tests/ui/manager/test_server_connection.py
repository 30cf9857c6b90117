"""The connection box every dialog administering another server shows: what it remembers per server,
what it refuses in one line before anything is sent, and the connection it builds."""

from pathlib import Path

from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from applet.client.master import ServerAdminClient
from applet.ui.manager.dialogs.server_connection import ServerConnectionBox


def _settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "manager.ini"), QSettings.Format.IniFormat)


def test_the_box_offers_the_enrolled_name_then_what_connected_last_for_that_server(
    qtbot: QtBot, tmp_path: Path
) -> None:
    settings = _settings(tmp_path)
    box = ServerConnectionBox("WEB-01", settings)
    qtbot.addWidget(box)
    assert box.address.text() == "WEB-01" and box.token_file.text() == ""
    token = tmp_path / "admin.token"
    token.write_text("secret\n")
    box.address.setText("127.0.0.1:8799")
    box.token_file.setText(str(token))
    with qtbot.waitSignal(box.connected) as built:
        box.connect_button.click()
    client = built.args[0]
    assert isinstance(client, ServerAdminClient) and client.name == "127.0.0.1:8799"
    box.remember(client)
    client.close()
    again = ServerConnectionBox("web-01", settings)  # the same server, whatever its case
    qtbot.addWidget(again)
    assert again.address.text() == "127.0.0.1:8799" and again.token_file.text() == str(token)
    other = ServerConnectionBox("NT4SRV", settings)
    qtbot.addWidget(other)
    assert other.address.text() == "NT4SRV" and other.token_file.text() == ""


def test_what_cannot_be_used_is_one_line_and_nothing_is_built(qtbot: QtBot, tmp_path: Path) -> None:
    box = ServerConnectionBox("WEB-01")
    qtbot.addWidget(box)
    cases = [
        ("bad host name!", str(tmp_path / "x.token"), "not a host name or address"),
        ("127.0.0.1:8799", "", "choose the file with the server's administrator token"),
        ("127.0.0.1:8799", str(tmp_path / "missing.token"), "cannot read the administrator token file"),
    ]
    built: list[object] = []
    box.connected.connect(built.append)
    for address, token, expected in cases:
        box.address.setText(address)
        box.token_file.setText(token)
        with qtbot.waitSignal(box.refused) as refused:
            box.connect_button.click()
        assert expected in refused.args[0] and "\n" not in refused.args[0]
        assert box.address.text() == address and box.token_file.text() == token
    assert built == []
    box.set_busy(True)
    assert not box.connect_button.isEnabled() and not box.address.isEnabled()
    box.set_busy(False)
    assert box.connect_button.isEnabled() and box.token_file.isEnabled()
