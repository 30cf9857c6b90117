"""License Manager (``license-manager``): the administrator's window onto purchases, products, clients,
servers and events (the original's ``llsmgr.exe``).

``main`` starts it; ``window`` is the main window; ``gateway`` runs every store query off the UI thread
and polls the store for the service's writes; ``models`` are the tab models; ``dialogs`` holds New
License, License Groups and the Properties dialogs; ``chart`` draws usage over time; ``reports`` writes
CSV exports and the HTML compliance report.
"""
