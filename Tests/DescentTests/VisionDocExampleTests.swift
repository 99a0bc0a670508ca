import Foundation
import Testing
@testable import Descent
import DescentData
@testable import DescentNN

/// The examples in the vision API's doc comments, as written there, so that they compile and
/// do what they say.
struct VisionDocExampleTests {
    @Test func convolutionExamples() {
        exclusiveGlobalGenerator {
            let w = Tensor.randn(6, 1, 5, 5), b = Tensor.zeros(6)
            let y = Tensor.conv2d(Tensor.randn(64, 1, 28, 28), w, bias: b, padding: 2)   // [64, 6, 28, 28]
            #expect(y.shape == [64, 6, 28, 28])
            let x = Tensor.randn(2, 6, 9, 9)
            let z = Tensor.conv2d(x, Tensor.randn(4, 6, 3, 3), stride: 2, dilation: [1, 2])
            #expect(z.shape == [2, 4, 4, 3])
            #expect(Tensor.conv2d(x, Tensor.randn(4, 6, 3, 3), padding: .same).shape == [2, 4, 9, 9])
            #expect(Tensor.conv2d(x, Tensor.randn(4, 6, 3, 3), padding: [1, 2]).shape == [2, 4, 9, 11])
            let up = Tensor.convTranspose2d(Tensor.randn(3, 64, 4, 4), Tensor.randn(64, 32, 4, 4), stride: 2, padding: 1)   // [N, 64, 4, 4] -> [N, 32, 8, 8] for k = 4
            #expect(up.shape == [3, 32, 8, 8])
            #expect(Tensor.conv1d(Tensor.randn(2, 3, 10), Tensor.randn(4, 3, 3), padding: .same).shape == [2, 4, 10])
        }
    }

    @Test func poolingAndResamplingExamples() {
        exclusiveGlobalGenerator {
            let x = Tensor.randn(64, 6, 28, 28)
            #expect(Tensor.maxPool2d(x, kernelSize: 2).shape == [64, 6, 14, 14])
            let (y, i) = Tensor.maxPool2dWithIndices(x, kernelSize: 2)
            let back = Tensor.maxUnpool2d(y, indices: i, kernelSize: 2)   // x's shape, maxima in place
            #expect(back.shape == x.shape)
            #expect(back.max().item() == x.max().item())
            #expect(Tensor.adaptiveAvgPool2d(x, outputSize: 1).shape == [64, 6, 1, 1])
            #expect(Tensor.pixelShuffle(Tensor.randn(1, 8, 3, 3), upscaleFactor: 2).shape == [1, 2, 6, 6])
            #expect(Tensor.interpolate(Tensor.randn(1, 2, 3, 4), scaleFactor: 2).shape == [1, 2, 6, 8])
            let theta = Tensor([[[1, 0, 0], [0, 1, 0]]])                      // the identity
            let grid = Tensor.affineGrid(theta, size: [1, 1, 4, 4], alignCorners: false)
            let image = Tensor.randn(1, 1, 4, 4)
            let warped = Tensor.gridSample(image, grid: grid, alignCorners: false)
            #expect(close(warped.scalars(as: Double.self), image.scalars(as: Double.self), rtol: 1e-6, atol: 1e-6))
        }
    }

    @Test func normalisationExample() {
        exclusiveGlobalGenerator {
            let x = Tensor.randn(4, 3, 5, 5)
            let mean = Tensor.zeros(3), variance = Tensor.ones(3)
            let y = Tensor.batchNorm(x, runningMean: mean, runningVar: variance, training: true)
            #expect(y.shape == x.shape)
            #expect(mean.abs().sum().item() > 0)   // moved toward the batch's mean
            let bn = BatchNorm2d(numFeatures: 3)
            _ = bn(x)
            bn.eval()
            #expect(bn(x).shape == x.shape)
            #expect(bn.numBatchesTracked?.item(as: Int64.self) == 1)
        }
    }

    @Test func layerAndInitExamples() {
        exclusiveGlobalGenerator {
            manualSeed(0)
            let conv = Conv2d(inChannels: 1, outChannels: 6, kernelSize: 5, padding: 2)   // == nn.Conv2d(1, 6, 5, padding=2)
            #expect(conv(Tensor.randn(64, 1, 28, 28)).shape == [64, 6, 28, 28])
            let up = ConvTranspose2d(inChannels: 100, outChannels: 64, kernelSize: 4, stride: 1, padding: 0, bias: false)
            #expect(up(Tensor.randn(8, 100, 1, 1)).shape == [8, 64, 4, 4])
            let conv1d = Conv1d(inChannels: 16, outChannels: 33, kernelSize: 3, stride: 2)
            #expect(conv1d(Tensor.randn(20, 16, 50)).shape == [20, 33, 24])
            manualSeed(0)
            let w = Tensor.empty([64, 3, 3, 3])
            Init.kaimingNormal(w, mode: .fanOut, nonlinearity: .relu)
            #expect(Swift.abs(w.std().item() - (2.0 / (64 * 9)).squareRoot()) < 0.01)
            let model = Sequential(Conv2d(inChannels: 3, outChannels: 4, kernelSize: 3), ReLU())
            model.apply { m in
                if let conv = m as? Conv2d { Init.kaimingNormal(conv.weight, mode: .fanOut, nonlinearity: .relu) }
            }
            #expect(model.namedModules().count == 3)
        }
    }

    @Test func dataExamples() throws {
        let root = ImageDataTests.digitsFolder
        let labels = try IDX.read(from: root.appendingPathComponent("t10k-labels-idx1-ubyte.gz"))
        #expect(labels.shape == [360])
        #expect(labels.tensor().dtype == .int64)
        let images = try IDX.read(from: root.appendingPathComponent("t10k-images-idx3-ubyte.gz"))
        #expect(images.scaled().max().item() <= 1)
        let g = Generator(seed: 0)
        let augment = Compose(RandomCrop(size: 28, padding: 4), RandomHorizontalFlip(), Normalize(mean: [0.1307], std: [0.3081]))
        let test = try MNIST(root: root, train: false, transform: augment, generator: g)
        let loader = DataLoader(test.dataset, batchSize: 64, shuffle: true, generator: g)
        let batch = try #require(Array(loader).first)
        #expect(batch[0].shape == [64, 1, 28, 28])
        #expect(batch[1].shape == [64])
    }
}
