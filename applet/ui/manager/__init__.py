"""License Manager (``license-manager``): the administrator's window onto purchases, products, clients,
servers and events (the original's ``llsmgr.exe``).

``main`` starts it; ``window`` composes the tabs (``tabs``, one module per tab), the menus (``menus``),
the status bar (``status_bar``), exports (``exports``, ``reports``) and help (``help``); the shared
:mod:`applet.ui.gateway` runs every store query off the UI thread and ``live`` polls the store for the
service's writes; ``models`` holds the table and tree models, one module per family; ``dialogs`` one
module per dialog (New License, License Groups, the Properties dialogs); ``chart`` draws usage over time.
"""
