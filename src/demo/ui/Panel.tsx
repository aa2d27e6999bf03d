/** @jsxRuntime automatic */
/** @jsxImportSource react */
/** A titled, bordered panel: the frame every dashboard section uses. */
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';

export interface PanelProps {
  title: string;
  subtitle?: string;
  width?: number | string;
  grow?: number;
  children: ReactNode;
}

export function Panel({ title, subtitle, width, grow, children }: PanelProps) {
  return (
    <Box flexDirection="column" borderStyle="round" borderColor="gray" paddingX={1} width={width} flexGrow={grow ?? 1}>
      <Text>
        <Text bold color="cyan">
          {title}
        </Text>
        {subtitle !== undefined ? <Text color="gray">{`  ${subtitle}`}</Text> : null}
      </Text>
      {children}
    </Box>
  );
}
