@{
    # Seconds each lab file took in a full run here (2 cores, two lanes side by side), for build.ps1's lanes. A run
    # writes its own to out/lab-seconds.json, which is used instead when present.
    Seconds = @{
        'DayTwo.Lab.Tests.ps1' = 416
        'Systemd.Lab.Tests.ps1' = 301
        'TwoRelays.Lab.Tests.ps1' = 230
        'TunnelPathCheck.Lab.Tests.ps1' = 218
        'Secrets.Lab.Tests.ps1' = 146
        'Faults.Lab.Tests.ps1' = 141
        'Lifecycle.Lab.Tests.ps1' = 135
        'HomeFirewall.Lab.Tests.ps1' = 132
        'Install.Lab.Tests.ps1' = 129
        'RelayInvariants.Lab.Tests.ps1' = 127
        'Forward.Lab.Tests.ps1' = 115
        'TunnelPath.Lab.Tests.ps1' = 115
        'Help.Lab.Tests.ps1' = 106
        'BadInput.Lab.Tests.ps1' = 102
        'Security.Lab.Tests.ps1' = 97
        'Door.Lab.Tests.ps1' = 87
        'Publish.Lab.Tests.ps1' = 75
        'Lab.Tests.ps1' = 57
        'PublicFace.Lab.Tests.ps1' = 52
    }
}
