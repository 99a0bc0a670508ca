import ArgumentParser
import Descent
import DescentNN
import DescentData

@main
struct DescentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "descent",
        abstract: "Tensors, autograd and linear models in Swift, with PyTorch's numbers.",
        subcommands: [FitCommand.self, PredictCommand.self, InspectCommand.self, NotebookCommand.self],
        defaultSubcommand: FitCommand.self
    )
}
