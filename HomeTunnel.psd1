@{
    # The one place the version lives: build.ps1 stamps it into the assembly and the package.
    ModuleVersion          = '0.2.0'
    RootModule             = 'HomeTunnel.PowerShell.dll'
    GUID                   = '6f0c3f5e-2b7e-4d0a-9a53-6c1f4e2d9b11'
    Author                 = 'HomeTunnel contributors'
    CompanyName            = 'HomeTunnel'
    Copyright              = '(c) HomeTunnel contributors. MIT licence.'
    Description            = 'Publish services that run at home behind double NAT through a rented relay: WireGuard tunnel, Apache reverse proxy and DNS, built as pipeline objects, applied over PowerShell remoting over SSH, and checked hop by hop with Test-TunnelPath.'
    PowerShellVersion      = '7.5'
    # Where a release publishes out/help (HelpInfo.xml and the help content zip), for Update-Help.
    HelpInfoURI            = 'https://github.com/hometunnel/HomeTunnel/releases/latest/download/'
    CompatiblePSEditions   = @('Core')
    FormatsToProcess       = @('HomeTunnel.Format.ps1xml')
    CmdletsToExport        = @(
        'New-TunnelKeyPair'
        'New-TunnelPeer'
        'Export-TunnelPeer'
        'Import-TunnelPeer'
        'New-WireGuardConfig'
        'ConvertFrom-WireGuardConfig'
        'Import-WireGuardConfig'
        'Export-WireGuardConfig'
        'Test-TunnelConfig'
        'New-ApacheProxySite'
        'ConvertFrom-ApacheProxySite'
        'Import-ApacheProxySite'
        'Install-WireGuardConfig'
        'Uninstall-WireGuardConfig'
        'Install-ApacheProxySite'
        'Uninstall-ApacheProxySite'
        'Get-TunnelStatus'
        'Test-TunnelPath'
        'Initialize-TunnelHost'
        'Publish-HomeService'
        'Unpublish-HomeService'
        'Get-ApacheProxySite'
        'Export-ApacheProxySite'
        'Get-WireGuardConfig'
        'New-TunnelPortForward'
        'Install-TunnelPortForward'
        'Uninstall-TunnelPortForward'
        'Install-TunnelHomeFirewall'
        'Uninstall-TunnelHomeFirewall'
        'Register-TunnelPathCheck'
        'Unregister-TunnelPathCheck'
        'Invoke-TunnelPathCheck'
        'Get-TunnelPathCheck'
        'Update-TunnelPeerKey'
        'Measure-TunnelNat'
        'Measure-TunnelMtu'
        'Get-TunnelDnsRecord'
        'Set-TunnelDnsRecord'
        'Remove-TunnelDnsRecord'
    )
    FunctionsToExport      = @()
    AliasesToExport        = @()
    VariablesToExport      = @()
    PrivateData            = @{
        PSData = @{
            Tags         = @('WireGuard', 'Apache', 'ReverseProxy', 'SelfHosting', 'NAT', 'CGNAT', 'Tunnel', 'VPS', 'Linux', 'PSEdition_Core')
            LicenseUri   = 'https://opensource.org/licenses/MIT'
            ProjectUri   = 'https://github.com/hometunnel/HomeTunnel'
            # Stamped by the build from CHANGELOG.md's section for ModuleVersion (a build without one fails).
            ReleaseNotes = '{{ReleaseNotes}}'
        }
    }
}
