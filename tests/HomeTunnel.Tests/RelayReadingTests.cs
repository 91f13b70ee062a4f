using System;
using System.Linq;
using HomeTunnel.Apache;
using HomeTunnel.Hosts.Contract;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace HomeTunnel.Tests;

/// <summary>
/// The module's reading of what the relay hands back for a check (the relay parses nothing): Apache's own listing
/// (which VirtualHost serves a name) and a site file's text (where that VirtualHost proxies), from the lab's
/// recordings and from listings and files as other relays write them.
/// </summary>
[TestClass]
public sealed class RelayReadingTests
{
    private const string Listing = """
        VirtualHost configuration:
        *:443                  secure.example.test (/etc/apache2/sites-enabled/secure.conf:12)
        *:80                   is a NameVirtualHost
                 default server relay.example.test (/etc/apache2/sites-enabled/000-default.conf:1)
                 port 80 namevhost relay.example.test (/etc/apache2/sites-enabled/000-default.conf:1)
                 port 80 namevhost Site.Example.Test (/etc/apache2/sites-enabled/site.conf:3)
                         alias www.site.example.test
                         wild alias *.pets.example.test
                 port 80 namevhost secure.example.test (/etc/apache2/sites-enabled/secure.conf:1)
        [2001:db8::1]:8080     v6.example.test (/etc/apache2/sites-enabled/v6 file.conf:2)
        ServerRoot: "/etc/apache2"
        Main DocumentRoot: "/var/www/html"
                         alias stray.example.test
        Define: DUMP_VHOSTS
        """;

    [TestMethod]
    public void TheRecordedListingNamesTheSiteAndNoOtherName()
    {
        RelayProbe probe = AgentContract.RelayProbe(Recordings.Answer("relay-probe").Body).Probe;
        ApacheHostListing listing = ApacheHostListing.Parse(probe.ApacheListing);
        Assert.AreEqual(new VirtualHostSeen("80", "/etc/apache2/sites-enabled/site.example.test.conf", 3), listing.ServedBy("site.example.test").Single());
        Assert.AreEqual(0, listing.ServedBy("nobody.example.test").Count);
    }

    [TestMethod]
    public void NamesAliasesAndWildAliasesAreServedByTheirVirtualHostInTheListingsOrder()
    {
        ApacheHostListing listing = ApacheHostListing.Parse(Listing);
        var site = new VirtualHostSeen("80", "/etc/apache2/sites-enabled/site.conf", 3);
        Assert.AreEqual(site, listing.ServedBy("site.example.test").Single(), "names are matched without case");
        Assert.AreEqual(site, listing.ServedBy("www.site.example.test").Single());
        Assert.AreEqual(site, listing.ServedBy("cats.pets.example.test").Single());
        Assert.AreEqual(0, listing.ServedBy("pets.example.test").Count, "a wild alias needs its dot");
        Assert.AreEqual(0, listing.ServedBy("cats.pets.example.test\n").Count, "a wild alias matches a whole name, not one with a newline after it");
        CollectionAssert.AreEqual(new[] { "443", "80" }, listing.ServedBy("secure.example.test").Select(v => v.Port).ToArray());
        Assert.AreEqual(new VirtualHostSeen("8080", "/etc/apache2/sites-enabled/v6 file.conf", 2), listing.ServedBy("v6.example.test").Single());
    }

    [TestMethod]
    public void WhatIsNotAVirtualHostLineServesNothing()
    {
        ApacheHostListing listing = ApacheHostListing.Parse(Listing);
        Assert.AreEqual(0, listing.ServedBy("stray.example.test").Count, "an alias after the run-time part belongs to no VirtualHost");
        Assert.AreEqual(0, listing.ServedBy("/etc/apache2").Count);
        Assert.AreEqual(0, ApacheHostListing.Parse("         port 80 namevhost evil.example.test (relative.conf:1)\n").ServedBy("evil.example.test").Count,
            "a file that is not an absolute path is not Apache's");
        Assert.AreEqual(0, ApacheHostListing.Parse(null).ServedBy("a.example.test").Count);
        Assert.AreEqual(0, ApacheHostListing.Parse("         port 80 namevhost a.example.test (/etc/apache2/sites-enabled/a.conf:1)\rtrailing\n").ServedBy("a.example.test").Count,
            "a line is read whole: text after a carriage return is not passed over");
        Assert.AreEqual(0, ApacheHostListing.Parse("AH00526: Syntax error on line 3 of /etc/apache2/sites-enabled/x.conf:\n").ServedBy("x").Count);
    }

    [TestMethod]
    public void TheRecordedSiteProxiesToTheHomeService()
    {
        SiteFileSeen file = AgentContract.SiteFiles(Recordings.Answer("site-files").Body).Files[0];
        ApacheSiteBackend.Found found = ApacheSiteBackend.Find(file.Text!, file.Path, 3);
        Assert.AreEqual("http://192.168.4.2:3000/", found.Backend?.ToString(), found.Why);
    }

    [TestMethod]
    public void TheRelayKeepsAFileWithNoVirtualHostAndSaysWhy()
    {
        var files = AgentContract.SiteFiles(Recordings.Answer("site-files").Body).Files;
        SiteFileSeen shadow = files.Single(f => f.Path == "/etc/shadow");
        Assert.IsNull(shadow.Text);
        Assert.AreEqual("no <VirtualHost> section in it", shadow.Refused);
        Assert.AreEqual("no such file", files.Single(f => f.Path.EndsWith("nothing.conf", StringComparison.Ordinal)).Refused);
    }

    private const string Secure = """
        <VirtualHost *:80>
            ServerName secure.example.test
            Redirect permanent / https://secure.example.test/
        </VirtualHost>
        <IfModule mod_ssl.c>
          <VirtualHost *:443>
            ServerName secure.example.test
            ProxyPass /api/ http://192.168.4.2:4000/
            ProxyPass / http://[fd00::2]:3000/app/
          </VirtualHost>
        </IfModule>
        <VirtualHost *:8080>
            <Location /x/>
                ProxyPass http://192.168.4.3:5000/
            </Location>
        </VirtualHost>
        <VirtualHost *:8081>
            ProxyPass / unix:/run/app.sock|http://localhost/
        </VirtualHost>
        """;

    [TestMethod]
    public void TheVirtualHostAtTheListedLineIsReadAndItsRootProxyPassWins()
    {
        Assert.IsNull(ApacheSiteBackend.Find(Secure, "secure.conf", 1).Backend, "the port-80 redirect proxies nowhere");
        Assert.IsNull(ApacheSiteBackend.Find(Secure, "secure.conf", 1).Why);
        Assert.AreEqual("http://[fd00::2]:3000/app/", ApacheSiteBackend.Find(Secure, "secure.conf", 6).Backend?.ToString(), "inside an IfModule; '/' before /api/");
        Assert.AreEqual("http://192.168.4.3:5000/", ApacheSiteBackend.Find(Secure, "secure.conf", 12).Backend?.ToString(), "a Location's ProxyPass");
    }

    [TestMethod]
    public void WhatCannotBeReadIsAReasonNeverAnException()
    {
        StringAssert.Contains(ApacheSiteBackend.Find(Secure, "secure.conf", 17).Why, "does not check");
        StringAssert.Contains(ApacheSiteBackend.Find(Secure, "secure.conf", 2).Why, "no <VirtualHost> at line 2");
        StringAssert.Contains(ApacheSiteBackend.Find("<VirtualHost *:80>\nProxyPass / http://192.168.4.2:1/\n", "open.conf", 1).Why, "does not read as Apache config");
        StringAssert.Contains(ApacheSiteBackend.Find("<VirtualHost *:80>\nProxyPass / http://user:pw@192.168.4.2:1/\n</VirtualHost>\n", "cred.conf", 1).Why, "does not check");
    }

    [TestMethod]
    public void AnotherSitesNamesAreReadFromItsServerNameLinesAsApacheReadsThem()
    {
        ApacheFacts facts = AgentContract.ApacheFacts(Recordings.Answer("apache-facts-taken").FactsJson!.Value);
        CollectionAssert.AreEqual(new[] { "hand.example.test", "taken.example.test" },
            ApacheServedNames.Of(facts.OtherSites.Single(o => o.File.EndsWith("hand.conf", StringComparison.Ordinal)).Lines));
        CollectionAssert.AreEqual(new[] { "a.example.test", "b.example.test", "c.example.test", "d.example.test", "*.e.example.test" },
            ApacheServedNames.Of("ServerName https://a.example.test:443\nServerAlias \"b.example.test\" c.example.test.   d.example.test:8080\nServerAlias *.e.example.test"));
        CollectionAssert.AreEqual(new[] { "f.example.test", "g.example.test" }, ApacheServedNames.Of("ServerAlias f.example.test \"g.example.test"),
            "a line Apache's reader refuses (an open quote) is read by its words: its names still count");
        Assert.AreEqual(0, ApacheServedNames.Of("").Count);
    }
}
