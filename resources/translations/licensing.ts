<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1">
<context>
    <name>AddLicensesDialog</name>
    <message>
        <source>New Client Access License</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Product</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n concurrent connection(s)</source>
        <translation type="unfinished">
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>Quantity</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Number of licenses purchased, 1 to 999,999</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Comment</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>order or certificate number</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Product:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Now licensed:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Quantity:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>C&amp;omment:</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>AgreementDialog</name>
    <message>
        <source>Per Server Licensing</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>I have purchased Client Access Licenses for %n additional concurrent connection(s) to %1, I have read the licensing terms above, and I agree to be bound by them.</source>
        <translation type="unfinished">
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>Per Seat Licensing</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>I have purchased a Client Access License for every client computer or user that will use %1, I understand that this change cannot be undone, and I agree to be bound by the licensing terms above.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>License agreement</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>I &amp;agree that:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>I agree that</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ChooseLicensingModeDialog</name>
    <message>
        <source>Choose Licensing Mode</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Product</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Product:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No services have been registered to use Licensing.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Client Licensing Mode</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Per &amp;Server for:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Per Server</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Concurrent connections</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>concurrent &amp;connections</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Add Licenses...</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add Licenses</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Re&amp;move Licenses...</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove Licenses</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Per S&amp;eat</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Per Seat</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>OK</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Replication...</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Replication</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Help</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Saving…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>License Violation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The one-time change of %1 to Per Seat licensing was already used.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Changing the license mode to Per Seat will result in current Per Server license loss. Press F1 for more help.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Are you sure you wish to make this change?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 is licensed Per Seat. The change from Per Server to Per Seat is one-time and one-way: it cannot be changed back to Per Server.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>To use Per Server licensing again, contact your license vendor.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 was changed on the server by someone else (another administrator, or the server&apos;s own applet or lls command) while this dialog was open. Your changes to it were not saved.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 was changed by someone else (another window or the lls command) while this dialog was open. Your changes to it were not saved.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The current settings are shown now; review them and try again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The server could not save the change. Nothing you entered was lost.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The license store could not be written. Nothing you entered was lost.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Click OK again to retry, or Cancel to discard.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Warning: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Store warning</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>DialogButtons</name>
    <message>
        <source>OK</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Help</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>HelpViewer</name>
    <message>
        <source>Licensing Help</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Help text</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Close help</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>LicenseSteps</name>
    <message>
        <source>Add Licenses</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove Licenses</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No certificate of %1 has licenses left to remove.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Licenses added in this dialog can be removed after you click OK.</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Remove %n Per Server license(s) of %1?</source>
        <translation type="unfinished">
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>The removal is recorded in the purchase history when you click OK.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>PurchaseTableModel</name>
    <message>
        <source>Date</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Quantity</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remaining</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Comment</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Administrator</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>RemoveLicensesDialog</name>
    <message>
        <source>Select Certificate to Remove Licenses</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%1 has %n Per Server license(s). Select the certificate (purchase) the licenses came from and enter how many to remove; no more than what remains on it.</source>
        <translation type="unfinished">
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>Certificates</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Certificates:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Number of licenses to remove</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Comment</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Number of licenses to remove:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>C&amp;omment:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Remove</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove Licenses</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Select the certificate to remove the licenses from.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>from the purchase of %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ReplicationDialog</name>
    <message>
        <source>Configure Replication</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The replication settings were not saved.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Click OK again to save what you typed over them, or Cancel to keep them.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The replication settings could not be saved. Nothing you typed was lost.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Saving…</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ReplicationSettingsBox</name>
    <message>
        <source>Master Server</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Domain Controller</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Domain Controller</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Enterprise Server:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enterprise Server</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enterprise server name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>LIC_MASTER or host[:port]</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A NetBIOS name (LIC_MASTER or \\LICMASTER), a DNS name or an address, with an optional :port (default 8765)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Resolved address</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Replication Frequency</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start &amp;At:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start At</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start E&amp;very:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start Every</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Hours between replications</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>hours</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Replication goes to the domain&apos;s master: the one named in the configuration, or else the one the DNS record _licensing._tcp.&lt;domain&gt; names.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The server resolves %1 itself, each time it replicates.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Resolving %1...</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Resolves to %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
