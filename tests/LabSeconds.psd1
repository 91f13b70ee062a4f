@{
    # Seconds each lab file took in a full run here (2 cores), for build.ps1's lanes. A run writes its own
    # to out/lab-seconds.json, which is used instead when present.
    Seconds = @{
        'DayTwo.Lab.Tests.ps1' = 263
        'Systemd.Lab.Tests.ps1' = 171
        'TunnelPathCheck.Lab.Tests.ps1' = 131
        'Faults.Lab.Tests.ps1' = 90
        'TunnelPath.Lab.Tests.ps1' = 84
        'Lifecycle.Lab.Tests.ps1' = 79
        'Help.Lab.Tests.ps1' = 75
        'Install.Lab.Tests.ps1' = 72
        'HomeFirewall.Lab.Tests.ps1' = 63
        'Security.Lab.Tests.ps1' = 51
        'RelayInvariants.Lab.Tests.ps1' = 51
        'Forward.Lab.Tests.ps1' = 48
        'Secrets.Lab.Tests.ps1' = 47
        'Door.Lab.Tests.ps1' = 44
        'BadInput.Lab.Tests.ps1' = 41
        'Publish.Lab.Tests.ps1' = 32
        'Lab.Tests.ps1' = 28
        'PublicFace.Lab.Tests.ps1' = 23
        'NonRoot.Lab.Tests.ps1' = 12
    }
}
