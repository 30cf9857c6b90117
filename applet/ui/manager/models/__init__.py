"""The table and tree models of License Manager's tabs and dialogs, one module per family.

* :mod:`.columns`: what every table model shares (a column's header, value and sort key; the roles).
* :mod:`.record_table`: a small list held in memory, sorted and filtered in Python (Products View and
  the lists inside dialogs); :mod:`.products` builds the Products View's.
* :mod:`.paged`: a big table read page by page on the gateway's heavy lane, sorted and filtered in SQL;
  :mod:`.history`, :mod:`.clients` and :mod:`.events` are the three paged tabs.
* :mod:`.server_tree`: the Server Browser tree (enterprise -> site -> server -> products).
"""
