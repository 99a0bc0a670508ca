import ArgumentParser
import Descent

struct NotebookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "notebook")
    func run() throws {}
}
