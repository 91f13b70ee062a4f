<#
.SYNOPSIS
    Packs the built module folder into a .nupkg (Compress-PSResource), the form Install-PSResource takes.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $DestinationPath
)
$ErrorActionPreference = 'Stop'
$null = New-Item -ItemType Directory -Force $DestinationPath
Compress-PSResource -Path $ModulePath -DestinationPath $DestinationPath
Get-ChildItem $DestinationPath -Filter 'HomeTunnel.*.nupkg'
