using CoScientist.Web.Hosting;

namespace CoScientist.Tests.Web;

public class StorageCheckTests
{
    private static string MountInfo(params string[] mountPoints)
    {
        var path = Path.GetTempFileName();
        File.WriteAllLines(path, mountPoints.Select((m, i) => $"{i + 20} 1 0:{i} / {m} rw,relatime - overlay overlay rw"));
        return path;
    }

    [Fact]
    public void DataOnTheContainersOwnDisk_IsWarnedAbout()
    {
        var warning = StorageCheck.Warning("/data", production: true, MountInfo("/", "/proc", "/dev"));
        Assert.Contains("resets whenever the app restarts", warning);
    }

    [Fact]
    public void DataOnAMountedBucket_IsFine() =>
        Assert.Null(StorageCheck.Warning("/data/ledger", production: true, MountInfo("/", "/data")));

    [Fact]
    public void InDevelopment_ThereIsNothingToWarnAbout() =>
        Assert.Null(StorageCheck.Warning("./data", production: false, MountInfo("/")));
}
