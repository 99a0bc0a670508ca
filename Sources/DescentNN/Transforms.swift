import Descent
import Foundation

/// A step of image preprocessing or augmentation, like a `torchvision.transforms` object: it
/// maps one image `[C, H, W]` (float, values in [0, 1] after ``ToTensor``) to another. Random
/// transforms draw from `generator` (Descent's global generator when nil) in torchvision's
/// order, so a seed reproduces an epoch's augmentation.
///
/// ```swift
/// let augment = Compose(RandomCrop(size: 32, padding: 4), RandomHorizontalFlip(),
///                       Normalize(mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.243, 0.261]))
/// let x = augment(image, generator: g)
/// ```
public protocol ImageTransform: Sendable {
    /// The transformed image.
    func callAsFunction(_ image: Tensor, generator: Generator?) -> Tensor
}

extension ImageTransform {
    /// The transformed image, drawing from Descent's global generator.
    public func callAsFunction(_ image: Tensor) -> Tensor { self(image, generator: nil) }
}

/// Transforms applied in order, like `transforms.Compose`.
public struct Compose: ImageTransform {
    /// As given to the initialiser (PyTorch's attribute of the same name).
    public let transforms: [any ImageTransform]
    /// Takes PyTorch's constructor arguments, under their Swift names; see the type's documentation.
    public init(_ transforms: any ImageTransform...) { self.transforms = transforms }
    /// Takes PyTorch's constructor arguments, under their Swift names; see the type's documentation.
    public init(_ transforms: [any ImageTransform]) { self.transforms = transforms }
    /// The transformed image.
    public func callAsFunction(_ image: Tensor, generator: Generator?) -> Tensor {
        transforms.reduce(image) { $1($0, generator: generator) }
    }
}

/// Integer pixel values `[H, W, C]` (or `[H, W]`) in 0...255 to a float `[C, H, W]` in [0, 1],
/// like `transforms.ToTensor`; a float `[C, H, W]` passes through. Descent's image datasets
/// already yield scaled `[C, H, W]` images.
public struct ToTensor: ImageTransform {
    /// Takes PyTorch's constructor arguments, under their Swift names; see the type's documentation.
    public init() {}
    /// The transformed image.
    public func callAsFunction(_ image: Tensor, generator: Generator?) -> Tensor {
        if image.dtype.isFloatingPoint { return image }
        let hwc = image.rank == 2 ? image.unsqueeze(-1) : image
        return hwc.permute(2, 0, 1).to(.float32) / 255
    }
}

/// `(x - mean[c]) / std[c]` per channel, like `transforms.Normalize`.
public struct Normalize: ImageTransform {
    /// As given to the initialiser (PyTorch's attribute of the same name).
    public let mean: [Double], std: [Double]
    /// Takes PyTorch's constructor arguments, under their Swift names; see the type's documentation.
    public init(mean: [Double], std: [Double]) {
        if std.contains(0) { preconditionFailure("std evaluated to zero after conversion to float32, leading to division by zero.") }
        (self.mean, self.std) = (mean, std)
    }
    /// The transformed image.
    public func callAsFunction(_ image: Tensor, generator: Generator?) -> Tensor {
        let c = image.shape[image.rank - 3]
        let shape = [c, 1, 1]
        let m = Tensor(shape: [mean.count], scalars: mean, dtype: image.dtype).expand(c).reshape(shape)
        let s = Tensor(shape: [std.count], scalars: std, dtype: image.dtype).expand(c).reshape(shape)
        return (image - m) / s
    }
}

/// A random `size` crop, after zero padding of `padding` on every side, like
/// `transforms.RandomCrop` (the offsets drawn with `randint`, top then left).
public struct RandomCrop: ImageTransform {
    /// As given to the initialiser (PyTorch's attribute of the same name).
    public let size: [Int], padding: Int
    /// Takes PyTorch's constructor arguments, under their Swift names; see the type's documentation.
    public init(size: SpatialSize, padding: Int = 0) {
        self.size = size.values.count == 1 ? [size.values[0], size.values[0]] : size.values
        self.padding = padding
    }
    /// The transformed image.
    public func callAsFunction(_ image: Tensor, generator: Generator?) -> Tensor {
        let padded = padding > 0 ? image.pad([padding, padding, padding, padding]) : image
        let (h, w) = (padded.shape[padded.rank - 2], padded.shape[padded.rank - 1])
        let (th, tw) = (size[0], size[1])
        if h < th || w < tw {
            preconditionFailure("Required crop size (\(th), \(tw)) is larger than input image size (\(h), \(w))")
        }
        if h == th && w == tw { return padded }
        let top = Tensor.randint(0, h - th + 1, [1], generator: generator).item(as: Int64.self)
        let left = Tensor.randint(0, w - tw + 1, [1], generator: generator).item(as: Int64.self)
        return padded.narrow(-2, Int(top), th).narrow(-1, Int(left), tw).contiguous()
    }
}

/// Mirrors the image left to right with probability `p`, like `transforms.RandomHorizontalFlip`
/// (one `rand` draw per image).
public struct RandomHorizontalFlip: ImageTransform {
    /// As given to the initialiser (PyTorch's attribute of the same name).
    public let p: Double
    /// Takes PyTorch's constructor arguments, under their Swift names; see the type's documentation.
    public init(p: Double = 0.5) { self.p = p }
    /// The transformed image.
    public func callAsFunction(_ image: Tensor, generator: Generator?) -> Tensor {
        Tensor.rand([1], generator: generator).item() < p ? image.flip(image.rank - 1) : image
    }
}

/// A crop of random area (a `scale` fraction of the image) and aspect ratio, resized to `size`,
/// like `transforms.RandomResizedCrop`, drawing its parameters as torchvision does (up to ten
/// tries, then a centre crop), resized bilinearly with antialiasing as torchvision's default.
public struct RandomResizedCrop: ImageTransform {
    /// As given to the initialiser (PyTorch's attribute of the same name).
    public let size: [Int], scale: (Double, Double), ratio: (Double, Double)
    /// Takes PyTorch's constructor arguments, under their Swift names; see the type's documentation.
    public init(size: SpatialSize, scale: (Double, Double) = (0.08, 1), ratio: (Double, Double) = (3.0 / 4, 4.0 / 3)) {
        self.size = size.values.count == 1 ? [size.values[0], size.values[0]] : size.values
        self.scale = scale
        self.ratio = ratio
    }

    /// torchvision's `get_params`: top, left, height and width of the crop.
    func parameters(height: Int, width: Int, generator: Generator?) -> (Int, Int, Int, Int) {
        let area = Double(height * width)
        let logRatio = (Foundation.log(ratio.0), Foundation.log(ratio.1))
        for _ in 0..<10 {
            let u = Tensor.empty([1], dtype: .float32)
            u.uniform(from: scale.0, to: scale.1, generator: generator)
            let targetArea = area * u.item()
            let v = Tensor.empty([1], dtype: .float32)
            v.uniform(from: logRatio.0, to: logRatio.1, generator: generator)
            let aspect = Foundation.exp(v.item())
            let w = Int((targetArea * aspect).squareRoot().rounded(.toNearestOrEven))
            let h = Int((targetArea / aspect).squareRoot().rounded(.toNearestOrEven))
            if w > 0 && w <= width && h > 0 && h <= height {
                let top = Int(Tensor.randint(0, height - h + 1, [1], generator: generator).item(as: Int64.self))
                let left = Int(Tensor.randint(0, width - w + 1, [1], generator: generator).item(as: Int64.self))
                return (top, left, h, w)
            }
        }
        let inRatio = Double(width) / Double(height)
        var (w, h) = (width, height)
        if inRatio < Swift.min(ratio.0, ratio.1) {
            h = Int((Double(w) / Swift.min(ratio.0, ratio.1)).rounded(.toNearestOrEven))
        } else if inRatio > Swift.max(ratio.0, ratio.1) {
            w = Int((Double(h) * Swift.max(ratio.0, ratio.1)).rounded(.toNearestOrEven))
        }
        return ((height - h) / 2, (width - w) / 2, h, w)
    }

    /// The transformed image.
    public func callAsFunction(_ image: Tensor, generator: Generator?) -> Tensor {
        let (top, left, h, w) = parameters(height: image.shape[image.rank - 2], width: image.shape[image.rank - 1], generator: generator)
        let crop = image.narrow(-2, top, h).narrow(-1, left, w)
        let batched = crop.rank == 3 ? crop.unsqueeze(0) : crop
        let resized = Tensor.interpolate(batched, size: SpatialSize(size), mode: .bilinear, alignCorners: false, antialias: true)
        return crop.rank == 3 ? resized.squeeze(0) : resized
    }
}

/// Random brightness and contrast changes, the first two of `transforms.ColorJitter`: a
/// factor drawn from `[max(0, 1 - b), 1 + b]` for each, applied in an order drawn with
/// `randperm(4)` as torchvision draws it; results clamped to [0, 1].
public struct ColorJitter: ImageTransform {
    /// As given to the initialiser (PyTorch's attribute of the same name).
    public let brightness: Double, contrast: Double
    /// Takes PyTorch's constructor arguments, under their Swift names; see the type's documentation.
    public init(brightness: Double = 0, contrast: Double = 0) {
        (self.brightness, self.contrast) = (brightness, contrast)
    }
    /// The transformed image.
    public func callAsFunction(_ image: Tensor, generator: Generator?) -> Tensor {
        let order = Tensor.randperm(4, generator: generator).scalars(as: Int64.self)
        func factor(_ amount: Double) -> Double? {
            guard amount > 0 else { return nil }
            let u = Tensor.empty([1], dtype: .float32)
            u.uniform(from: Swift.max(0, 1 - amount), to: 1 + amount, generator: generator)
            return u.item()
        }
        let b = factor(brightness), c = factor(contrast)
        var out = image
        for fn in order {
            if fn == 0, let b { out = (out * b).clamp(min: 0, max: 1) }
            if fn == 1, let c {
                let channels = out.shape[out.rank - 3]
                let gray = channels == 3
                    ? out.select(out.rank - 3, 0) * 0.299 + out.select(out.rank - 3, 1) * 0.587 + out.select(out.rank - 3, 2) * 0.114
                    : out.select(out.rank - 3, 0)
                let mean = gray.mean()
                out = (out * c + mean * (1 - c)).clamp(min: 0, max: 1)
            }
        }
        return out
    }
}
