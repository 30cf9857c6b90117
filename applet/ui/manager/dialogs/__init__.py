"""License Manager's dialogs, one module per dialog.

:mod:`.new_license` (New Client Access License), :mod:`.license_groups` and :mod:`.group_edit`
(License Groups and one group's editor), :mod:`.product_properties` and :mod:`.client_properties`;
:mod:`.base` holds what they share (writing through the gateway, a table for a list).
"""
