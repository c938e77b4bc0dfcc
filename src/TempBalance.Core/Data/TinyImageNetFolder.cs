using SkiaSharp;

namespace TempBalance.Core.Data;

/// <summary>
/// TinyImageNet as extracted from tiny-imagenet-200.zip: wnids.txt (the 200 classes),
/// train/{wnid}/images/*.JPEG and val/images/*.JPEG labelled by val/val_annotations.txt
/// (file, wnid, box). Classes are numbered in sorted wnid order, as torchvision's ImageFolder does.
/// </summary>
public static class TinyImageNetFolder
{
    public const int ImageSize = 64;

    public static (ImageData Train, ImageData Test) Read(string directory)
    {
        var wnids = File.ReadAllLines(Path.Combine(directory, "wnids.txt"))
            .Select(l => l.Trim()).Where(l => l.Length > 0).Order(StringComparer.Ordinal).ToList();
        var classOf = wnids.Select((w, i) => (w, i)).ToDictionary(p => p.w, p => (long)p.i);

        var train = new List<(string Path, long Label)>();
        foreach (var wnid in wnids)
        {
            var folder = Path.Combine(directory, "train", wnid, "images");
            if (!Directory.Exists(folder))
                throw new FileNotFoundException($"Missing {folder}: every class in wnids.txt needs its training images there.");
            train.AddRange(Directory.GetFiles(folder, "*.JPEG").Order(StringComparer.Ordinal).Select(p => (p, classOf[wnid])));
        }

        var val = new List<(string Path, long Label)>();
        foreach (var line in File.ReadLines(Path.Combine(directory, "val", "val_annotations.txt")))
        {
            var fields = line.Split('\t');
            if (fields.Length < 2) continue;
            if (!classOf.TryGetValue(fields[1], out var label))
                throw new InvalidDataException($"val_annotations.txt names class {fields[1]}, which wnids.txt lacks.");
            val.Add((Path.Combine(directory, "val", "images", fields[0]), label));
        }
        return (Decode(train), Decode(val));
    }

    static ImageData Decode(List<(string Path, long Label)> images)
    {
        const int pixels = ImageSize * ImageSize;
        var data = new byte[(long)images.Count * 3 * pixels];
        Parallel.For(0, images.Count, i =>
        {
            using var decoded = SKBitmap.Decode(images[i].Path)
                ?? throw new InvalidDataException($"{images[i].Path} is not a readable image.");
            using var rgba = decoded.Width == ImageSize && decoded.Height == ImageSize && decoded.ColorType == SKColorType.Rgba8888
                ? decoded.Copy()
                : decoded.Resize(new SKImageInfo(ImageSize, ImageSize, SKColorType.Rgba8888, SKAlphaType.Unpremul), new SKSamplingOptions(SKFilterMode.Linear));
            var source = rgba.GetPixelSpan();
            // RGBA rows into the planes of a [3, 64, 64] image.
            var target = data.AsSpan((int)((long)i * 3 * pixels), 3 * pixels);
            for (int p = 0; p < pixels; p++)
            {
                target[p] = source[4 * p];
                target[pixels + p] = source[4 * p + 1];
                target[2 * pixels + p] = source[4 * p + 2];
            }
        });
        return ImageData.FromBytes(data, images.Select(x => x.Label).ToArray(), 3, ImageSize, ImageSize);
    }
}
