"""Licensing: a modern rebuild of the Windows NT License Logging Service.

Sub-packages follow DESIGN.md section 2: ``domain`` (pure rules), ``store`` (SQLite persistence),
``service`` (the headless monitoring core), ``client`` (API client), ``cli`` (the ``lls`` command) and
``ui`` (the only package that imports PySide6).
"""

__version__ = "0.1.0"
APP_NAME = "Licensing"
APP_AUTHOR = "Licensing"
