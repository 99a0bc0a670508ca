import ArgumentParser
import Descent

@main
struct DescentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "descent",
        abstract: "Tensors, autograd and linear models in Swift, with PyTorch's numbers.",
        subcommands: [NotebookCommand.self],
        defaultSubcommand: NotebookCommand.self
    )
}
