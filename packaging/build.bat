@echo off
rem Build dist\Licensing\ on Windows: a wrapper of build.ps1 for cmd.exe users.
powershell -NoProfile -ExecutionPolicy Bypass -File "%~dp0build.ps1" %*
exit /b %ERRORLEVEL%
