"""The desktop GUI: the Licensing applet and License Manager. The only package that imports PySide6.

``app`` creates the one QApplication (names, icon, palette), ``messages`` is the one place message boxes
are shown from.
"""
