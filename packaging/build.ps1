# Build the standalone folder dist\Licensing\ (licensing.exe and lls.exe) with PyInstaller on Windows.
#
#   powershell -ExecutionPolicy Bypass -File packaging\build.ps1
#
# Run it from a virtual environment that has the project with its `packaging` and `windows` extras:
#   python -m pip install -e ".[packaging,windows]"
# The spec renders the .ico from resources\icons\licensing.svg and writes the version resource from
# applet.__version__ into build\pyinstaller\ before building.
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..")

$python = if ($env:PYTHON) { $env:PYTHON } else { "python" }
New-Item -ItemType Directory -Force -Path build | Out-Null
& $python -m PyInstaller --clean --noconfirm --log-level WARN `
    --distpath dist --workpath build\pyinstaller packaging\licensing.spec
if ($LASTEXITCODE -ne 0) {
    Write-Error "build.ps1: PyInstaller failed"
    exit 1
}
& dist\Licensing\lls.exe --version
if ($LASTEXITCODE -ne 0) {
    Write-Error "build.ps1: the built lls.exe does not start"
    exit 1
}
$size = (Get-ChildItem -Recurse dist\Licensing | Measure-Object -Property Length -Sum).Sum / 1MB
Write-Output ("build.ps1: dist\Licensing built, {0:N0} MiB" -f $size)
